/* SPDX-License-Identifier: Apache-2.0 */
/* patterns.c — Lua 5.4 pattern matching for rules, one step at a time (see
 * patterns.h).
 *
 * SOURCE: Lua 5.4 Reference Manual section 6.4.1 (Patterns) and 6.4
 * (string.find, string.match, string.gmatch with its init argument,
 * string.gsub with string, table and function replacements); the limits
 * (LUA_MAXCAPTURES 32, MAXCCALLS 200) and the error messages are liblua
 * 5.4's, so a rule sees the same results and errors as with the stock
 * library — tests/unit/host/test_lua.c checks that on random inputs.
 *
 * A matcher state holds the subject, the pattern's end, the captures and a
 * count of steps not yet charged; every call of the matcher, every
 * character a quantifier takes or gives back, every position a search
 * tries costs one step, charged to the host every PAT_CHARGE_EVERY steps.
 * The host's charge raises when the rule's budget or wall clock is spent:
 * the matcher owns nothing but C stack, so unwinding it there is safe. */
#include "host/lua/patterns.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include <lauxlib.h>

#define PAT_ESC '%'
#define PAT_SPECIALS "^$*+?.([%-"
#define PAT_MAX_CAPTURES 32          /* LUA_MAXCAPTURES */
#define PAT_MAX_CALLS 200            /* lstrlib's MAXCCALLS: "pattern too complex" */
#define PAT_CHARGE_EVERY 1024u
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)

typedef struct pstate {
    const char *src, *src_end;       /* the subject */
    const char *pat_end;
    lua_State *L;
    const luapat_hooks *hooks;
    int calls_left;                  /* matcher recursion still allowed */
    int level;                       /* captures opened */
    unsigned pending;                /* steps not yet charged */
    struct {
        const char *init;
        ptrdiff_t len;               /* or CAP_UNFINISHED / CAP_POSITION */
    } cap[PAT_MAX_CAPTURES];
} pstate;

/* ---- paying for steps ------------------------------------------------------ */

static void charge_now(pstate *ms) {
    unsigned n = ms->pending;
    ms->pending = 0;
    if (n && ms->hooks && ms->hooks->charge) ms->hooks->charge(ms->L, n);
}

static void step(pstate *ms) {
    if (++ms->pending >= PAT_CHARGE_EVERY) charge_now(ms);
}

static void state_init(pstate *ms, lua_State *L, const luapat_hooks *h, const char *s, size_t ls, const char *p,
                       size_t lp) {
    ms->L = L;
    ms->hooks = h;
    ms->src = s;
    ms->src_end = s + ls;
    ms->pat_end = p + lp;
    ms->calls_left = PAT_MAX_CALLS;
    ms->level = 0;
    ms->pending = 0;
}

static void state_reset(pstate *ms) {
    ms->level = 0;
    ms->calls_left = PAT_MAX_CALLS;
}

/* ---- single characters ---------------------------------------------------------- */

/* %a %c %d %g %l %p %s %u %w %x, and %z (NUL); upper case: the complement;
 * any other character after % stands for itself. */
static int class_match(int c, int cl) {
    int r;
    switch (tolower(cl)) {
    case 'a': r = isalpha(c); break;
    case 'c': r = iscntrl(c); break;
    case 'd': r = isdigit(c); break;
    case 'g': r = isgraph(c); break;
    case 'l': r = islower(c); break;
    case 'p': r = ispunct(c); break;
    case 's': r = isspace(c); break;
    case 'u': r = isupper(c); break;
    case 'w': r = isalnum(c); break;
    case 'x': r = isxdigit(c); break;
    case 'z': r = c == 0; break;   /* deprecated in the manual, still in liblua 5.4 */
    default: return cl == c;
    }
    r = r != 0;
    return isupper(cl) ? !r : r;
}

/* [set] from '[' at p to its ']' at close. */
static int set_match(int c, const char *p, const char *close) {
    int in = 1;
    if (p[1] == '^') {
        in = 0;
        p++;
    }
    while (++p < close) {
        if (*p == PAT_ESC) {
            p++;
            if (class_match(c, (unsigned char)*p)) return in;
        } else if (p[1] == '-' && p + 2 < close) {
            p += 2;
            if ((unsigned char)p[-2] <= c && c <= (unsigned char)*p) return in;
        } else if ((unsigned char)*p == c) {
            return in;
        }
    }
    return !in;
}

/* The end of the single-character class starting at p. */
static const char *class_end(pstate *ms, const char *p) {
    char c = *p++;
    if (c == PAT_ESC) {
        if (p >= ms->pat_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (p < ms->pat_end && *p == '^') p++;
        do {   /* the first character is never the closing ']' */
            if (p >= ms->pat_end) luaL_error(ms->L, "malformed pattern (missing ']')");
            if (*p++ == PAT_ESC && p < ms->pat_end) p++;
        } while (p >= ms->pat_end || *p != ']');
        return p + 1;
    }
    return p;
}

static int single(pstate *ms, const char *s, const char *p, const char *ep) {
    if (s >= ms->src_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case PAT_ESC: return class_match(c, (unsigned char)p[1]);
    case '[': return set_match(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

/* ---- the matcher --------------------------------------------------------------- */

static const char *match(pstate *ms, const char *s, const char *p);

/* %bxy at p (pointing at x). */
static const char *balance(pstate *ms, const char *s, const char *p) {
    if (p >= ms->pat_end - 1) luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p) return NULL;
    char open = p[0], close = p[1];
    int depth = 1;
    while (++s < ms->src_end) {
        step(ms);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

/* x* and x+: take as many as possible, give back one at a time. */
static const char *max_expand(pstate *ms, const char *s, const char *p, const char *ep) {
    ptrdiff_t i = 0;
    while (single(ms, s + i, p, ep)) {
        i++;
        step(ms);
    }
    for (; i >= 0; i--) {
        const char *r = match(ms, s + i, ep + 1);
        if (r) return r;
    }
    return NULL;
}

/* x-: take as few as possible. */
static const char *min_expand(pstate *ms, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *r = match(ms, s, ep + 1);
        if (r) return r;
        if (!single(ms, s, p, ep)) return NULL;
        s++;
    }
}

static const char *open_capture(pstate *ms, const char *s, const char *p, ptrdiff_t what) {
    if (ms->level >= PAT_MAX_CAPTURES) luaL_error(ms->L, "too many captures");
    ms->cap[ms->level].init = s;
    ms->cap[ms->level].len = what;
    ms->level++;
    const char *r = match(ms, s, p);
    if (!r) ms->level--;
    return r;
}

static const char *close_capture(pstate *ms, const char *s, const char *p) {
    int l = ms->level - 1;
    while (l >= 0 && ms->cap[l].len != CAP_UNFINISHED) l--;
    if (l < 0) luaL_error(ms->L, "invalid pattern capture");
    ms->cap[l].len = s - ms->cap[l].init;
    const char *r = match(ms, s, p);
    if (!r) ms->cap[l].len = CAP_UNFINISHED;
    return r;
}

/* %1..%9: the text of an earlier capture again. */
static const char *back_reference(pstate *ms, const char *s, int digit) {
    int l = digit - '1';
    if (l < 0 || l >= ms->level || ms->cap[l].len == CAP_UNFINISHED)
        luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    size_t len = (size_t)ms->cap[l].len;   /* a position capture: never matches */
    if ((size_t)(ms->src_end - s) >= len && memcmp(ms->cap[l].init, s, len) == 0) return s + len;
    return NULL;
}

static const char *match(pstate *ms, const char *s, const char *p) {
    if (ms->calls_left-- == 0) luaL_error(ms->L, "pattern too complex");
    step(ms);
    while (p != ms->pat_end) {
        switch (*p) {
        case '(':
            if (p + 1 < ms->pat_end && p[1] == ')') s = open_capture(ms, s, p + 2, CAP_POSITION);
            else s = open_capture(ms, s, p + 1, CAP_UNFINISHED);
            goto out;
        case ')':
            s = close_capture(ms, s, p + 1);
            goto out;
        case '$':
            if (p + 1 != ms->pat_end) break;   /* not at the end: a plain '$' */
            s = s == ms->src_end ? s : NULL;
            goto out;
        case PAT_ESC:
            if (p + 1 >= ms->pat_end) break;   /* class_end says what is wrong */
            if (p[1] == 'b') {
                s = balance(ms, s, p + 2);
                if (!s) goto out;
                p += 4;
                continue;
            }
            if (p[1] == 'f') {
                p += 2;
                if (p >= ms->pat_end || *p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
                const char *ep = class_end(ms, p);
                int before = s == ms->src ? '\0' : (unsigned char)s[-1];
                int here = s < ms->src_end ? (unsigned char)*s : '\0';
                if (set_match(before, p, ep - 1) || !set_match(here, p, ep - 1)) {
                    s = NULL;
                    goto out;
                }
                p = ep;
                continue;
            }
            if (isdigit((unsigned char)p[1])) {
                s = back_reference(ms, s, (unsigned char)p[1]);
                if (!s) goto out;
                p += 2;
                continue;
            }
            break;
        default: break;
        }
        /* a single-character class, maybe with a quantifier */
        const char *ep = class_end(ms, p);
        char q = ep < ms->pat_end ? *ep : '\0';
        if (!single(ms, s, p, ep)) {
            if (q == '*' || q == '?' || q == '-') {   /* zero repetitions are fine */
                p = ep + 1;
                continue;
            }
            s = NULL;
            goto out;
        }
        switch (q) {
        case '?': {
            const char *r = match(ms, s + 1, ep + 1);
            if (r) {
                s = r;
                goto out;
            }
            p = ep + 1;
            continue;
        }
        case '+': s = max_expand(ms, s + 1, p, ep); goto out;
        case '*': s = max_expand(ms, s, p, ep); goto out;
        case '-': s = min_expand(ms, s, p, ep); goto out;
        default:
            s++;
            p = ep;
            continue;
        }
    }
out:
    ms->calls_left++;
    return s;
}

/* ---- captures to Lua values ---------------------------------------------------------------- */

static void push_capture(pstate *ms, int i, const char *s, const char *e) {
    if (i >= ms->level) {
        if (i != 0) luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(ms->L, s, (size_t)(e - s));   /* no captures: the whole match */
        return;
    }
    ptrdiff_t l = ms->cap[i].len;
    if (l == CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
    if (l == CAP_POSITION) lua_pushinteger(ms->L, (lua_Integer)(ms->cap[i].init - ms->src) + 1);
    else lua_pushlstring(ms->L, ms->cap[i].init, (size_t)l);
}

/* s NULL: only the captures (find's extra results). */
static int push_captures(pstate *ms, const char *s, const char *e) {
    int n = ms->level == 0 && s ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(ms, i, s, e);
    return n;
}

/* ---- the library functions -------------------------------------------------------------- */

static const luapat_hooks *hooks_of(lua_State *L) {
    return (const luapat_hooks *)lua_touserdata(L, lua_upvalueindex(1));
}

/* A start position (1-based, negative from the end) as an offset + 1. */
static size_t start_at(lua_Integer pos, size_t len) {
    if (pos > 0) return (size_t)pos;
    if (pos == 0) return 1;
    if (pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static int no_specials(const char *p, size_t lp) {
    for (size_t i = 0; i < lp; i++)
        if (p[i] && strchr(PAT_SPECIALS, p[i])) return 0;
    return 1;
}

/* Plain substring search, charged per candidate position. */
static const char *plain_find(pstate *ms, const char *s, size_t ls, const char *p, size_t lp) {
    if (lp == 0) return s;
    if (lp > ls) return NULL;
    const char *end = s + (ls - lp) + 1;   /* a match starts before here */
    while (s < end) {
        const char *hit = memchr(s, *p, (size_t)(end - s));
        if (!hit) return NULL;
        ms->pending += (unsigned)(lp / 64);
        step(ms);
        if (memcmp(hit + 1, p + 1, lp - 1) == 0) return hit;
        s = hit + 1;
    }
    return NULL;
}

static int find_or_match(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        lua_pushnil(L);
        return 1;
    }
    pstate ms;
    state_init(&ms, L, hooks_of(L), s, ls, p, lp);
    if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
        const char *hit = plain_find(&ms, s + init, ls - init, p, lp);
        charge_now(&ms);
        if (hit) {
            lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
            lua_pushinteger(L, (lua_Integer)(hit - s) + (lua_Integer)lp);
            return 2;
        }
        lua_pushnil(L);
        return 1;
    }
    int anchor = lp > 0 && *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    ms.pat_end = p + lp;
    const char *at = s + init;
    do {
        state_reset(&ms);
        const char *e = match(&ms, at, p);
        if (e) {
            charge_now(&ms);
            if (!find) return push_captures(&ms, at, e);
            lua_pushinteger(L, (lua_Integer)(at - s) + 1);
            lua_pushinteger(L, (lua_Integer)(e - s));
            return push_captures(&ms, NULL, NULL) + 2;
        }
    } while (at++ < ms.src_end && !anchor);
    charge_now(&ms);
    lua_pushnil(L);
    return 1;
}

static int pat_find(lua_State *L) { return find_or_match(L, 1); }
static int pat_match(lua_State *L) { return find_or_match(L, 0); }

/* gmatch's iterator state: positions as offsets, the strings anchored by
 * the closure's upvalues 2 (subject) and 3 (pattern). */
typedef struct gstate {
    size_t pos;                      /* next start */
    size_t last;                     /* end of the last match, or SIZE_MAX */
    const luapat_hooks *hooks;
} gstate;

static int gmatch_next(lua_State *L) {
    gstate *g = lua_touserdata(L, lua_upvalueindex(4));
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(2), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(3), &lp);
    pstate ms;
    state_init(&ms, L, g->hooks, s, ls, p, lp);
    for (size_t at = g->pos; at <= ls; at++) {
        state_reset(&ms);
        const char *e = match(&ms, s + at, p);
        if (e && (size_t)(e - s) != g->last) {
            g->pos = g->last = (size_t)(e - s);
            charge_now(&ms);
            return push_captures(&ms, s + at, e);
        }
    }
    g->pos = ls + 1;
    charge_now(&ms);
    return 0;
}

static int pat_gmatch(lua_State *L) {
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) init = ls + 1;   /* past the end: no match */
    const luapat_hooks *h = hooks_of(L);
    lua_settop(L, 2);
    gstate *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->pos = init;
    g->last = (size_t)-1;
    g->hooks = h;
    lua_pushlightuserdata(L, (void *)h);
    lua_insert(L, 1);                /* hooks, s, p, state */
    lua_pushcclosure(L, gmatch_next, 4);
    return 1;
}

/* The replacement string of gsub: %0 the match, %1..%9 captures, %% a %. */
static void add_replacement(pstate *ms, luaL_Buffer *b, const char *s, const char *e) {
    lua_State *L = ms->L;
    size_t l;
    const char *r = lua_tolstring(L, 3, &l);
    const char *pc;
    while ((pc = memchr(r, PAT_ESC, l)) != NULL) {
        luaL_addlstring(b, r, (size_t)(pc - r));
        pc++;   /* the string ends in a NUL: reading it is fine */
        if (*pc == PAT_ESC) {
            luaL_addchar(b, *pc);
        } else if (*pc == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)*pc)) {
            push_capture(ms, *pc - '1', s, e);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", PAT_ESC);
        }
        l -= (size_t)(pc + 1 - r);
        r = pc + 1;
    }
    luaL_addlstring(b, r, l);
}

/* One replacement; 1 when the text changed. */
static int add_value(pstate *ms, luaL_Buffer *b, const char *s, const char *e, int tr) {
    lua_State *L = ms->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(ms, s, e);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_replacement(ms, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {   /* nil or false: keep the match */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int pat_gsub(lua_State *L) {
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *last = NULL;
    int tr = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    int anchor = lp > 0 && *p == '^';
    lua_Integer n = 0;
    int changed = 0;
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (anchor) {
        p++;
        lp--;
    }
    pstate ms;
    state_init(&ms, L, hooks_of(L), src, ls, p, lp);
    while (n < max_n) {
        state_reset(&ms);
        const char *e = match(&ms, src, p);
        if (e && e != last) {
            n++;
            changed |= add_value(&ms, &b, src, e, tr);
            src = last = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor) break;
    }
    charge_now(&ms);
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

void luapat_register(lua_State *L, int idx, const luapat_hooks *hooks) {
    static const luaL_Reg fns[] = {
        {"find", pat_find}, {"match", pat_match}, {"gmatch", pat_gmatch}, {"gsub", pat_gsub}, {NULL, NULL}};
    idx = lua_absindex(L, idx);
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushlightuserdata(L, (void *)hooks);
        lua_pushcclosure(L, f->func, 1);
        lua_setfield(L, idx, f->name);
    }
}
