-- expect: rule/load-error
-- An endless loop at load time: the small load budget stops it.
while true do end
