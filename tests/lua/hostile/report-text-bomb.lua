-- expect: rule/memory-exceeded
-- One 16 MiB message reported 150 times, and props holding 2,000
-- references to one 1 MiB string: the host's copies lie outside the rule's
-- heap, and took the host to 2.5 GB and 8 GB (an adversarial pass); a
-- check's report text is capped by the rule's memory cap.
local rule = { id = "hostile/report-text-bomb", name = "Hostile", summary = "hostile test rule", help = "Test rule.", level = "note" }

function rule.check(model, ctx)
  ctx:report(model, "before the failure")
  local big = string.rep("A", 1024 * 1024)
  local arr = {}
  for i = 1, 2000 do arr[i] = big end
  ctx:report{ at = model, message = "props", props = { blob = arr } }
  ctx:report(model, "after the reports")
end

return rule
