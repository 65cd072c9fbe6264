-- fixed.lua -- wrk script of scripts/bench for mhd_fixed: the same request
-- shape as labels.lua (a label path, the Bearer header), so the HTTP ceiling
-- parses what reliefd parses.
local tid = 0
function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end

function request()
  return wrk.format("GET", "/api/v1/labels/" .. string.format("%027d", math.random(1e9)),
                    { ["Authorization"] = "Bearer " .. string.rep("0", 64) })
end

function done(summary, latency, requests)
  io.write(string.format("lua bad=0 p50_us=%d p99_us=%d\n",
                         latency:percentile(50), latency:percentile(99)))
end
