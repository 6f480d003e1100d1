-- wrk script for scripts/bench-db: every request is a write. Each wrk thread alternates
-- POST /api/v1/org-units (a unit under $PARENT) and DELETE of a unit it made, so the organisation
-- keeps its size however long the run is.
local parent = os.getenv("PARENT")
local made = {}
local n = 0

request = function()
  local uuid = table.remove(made)
  if uuid then
    return wrk.format("DELETE", "/api/v1/org-units/" .. uuid)
  end
  n = n + 1
  -- A headers table replaces wrk.headers (the -H Authorization) instead of adding to it.
  local headers = { ["Content-Type"] = "application/json" }
  for name, value in pairs(wrk.headers) do headers[name] = value end
  return wrk.format("POST", "/api/v1/org-units", headers,
    string.format('{"name":"Bench unit %d","parent":"%s"}', n, parent))
end

response = function(status, headers, body)
  if status == 201 then
    local uuid = string.match(headers["location"] or headers["Location"] or "", "([0-9a-f-]+)$")
    if uuid then table.insert(made, uuid) end
  end
end

-- Each thread counts its answers by status; the summary prints them.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
local remember_made = response
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  remember_made(status, headers, body)
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, status .. "=" .. n) end
  table.sort(parts)
  print("statuses: " .. table.concat(parts, " "))
end
