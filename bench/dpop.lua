-- wrk script for scripts/bench-dpop: each request carries the DPoP-bound token ($TOKEN) and a
-- proof never sent before, from the file $PROOFS (one per line), split between wrk's $THREADS
-- threads: thread i takes lines i, i + n, i + 2n, ... A thread that runs out sends its last proof
-- again, which the server refuses (401): the script then fails the run, so size the file.
local counter = 0

setup = function(thread)
  thread:set("id", counter)
  counter = counter + 1
end

init = function(args)
  local threads = tonumber(os.getenv("THREADS"))
  proofs = {}
  local line_number = 0
  for line in io.lines(os.getenv("PROOFS")) do
    if line_number % threads == id then table.insert(proofs, line) end
    line_number = line_number + 1
  end
  next_proof = 1
  authorization = "DPoP " .. os.getenv("TOKEN")
end

request = function()
  local proof = proofs[math.min(next_proof, #proofs)]
  next_proof = next_proof + 1
  return wrk.format("GET", nil, { ["Authorization"] = authorization, ["DPoP"] = proof })
end
