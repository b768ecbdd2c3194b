/* check.c — placeholder until the rule host lands: `check` reports the
 * loader's load/... problems so broken models are visible. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "discover.h"
#include "model.h"

int cli_check_main(int argc, char **argv) {
    int i = 1;
    if (!strcmp(argv[1], "check")) i = 2;
    path_list paths = {0};
    for (; i < argc; i++) discover_models(argv[i], &paths);
    int worst = 0;
    for (size_t k = 0; k < paths.n; k++) {
        lmodel *lm = loader_load(paths.items[k], NULL);
        if (!lm || !lm->model) continue;
        for (size_t d = 0; d < lm->model->n_diags; d++) {
            const cml_diag *g = lm->model->diags[d];
            printf("%s%s%s: %s: %s [%s]\n", paths.items[k], *g->loc.artifact ? "/" : "", g->loc.artifact,
                   g->level >= 3 ? "error" : g->level == 2 ? "warning" : "note", g->message, g->rule_id);
            if (g->level >= 3) worst = 1;
        }
        loader_free(lm);
    }
    path_list_free(&paths);
    return worst;
}
