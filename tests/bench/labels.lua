-- labels.lua -- wrk script of scripts/bench: GET /api/v1/labels/{code} for
-- random codes out of BENCH_CODES (one code a line), as BENCH_TOKEN's
-- session (a Bearer token, as a scanner app would send it).  Answers other
-- than 200 are counted and printed at the end.
local codes, n, token
local tid = 0
local threads = {}

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
  table.insert(threads, thread)
end

function init(args)
  codes, n = {}, 0
  for line in io.lines(os.getenv("BENCH_CODES")) do
    if #line > 0 then
      n = n + 1
      codes[n] = line
    end
  end
  token = os.getenv("BENCH_TOKEN")
  bad = 0
  math.randomseed(os.time() * 1000 + tid)
end

function request()
  return wrk.format("GET", "/api/v1/labels/" .. codes[math.random(n)],
                    { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do
    b = b + (t:get("bad") or 0)
  end
  io.write(string.format("lua bad=%d p50_us=%d p99_us=%d\n", b,
                         latency:percentile(50), latency:percentile(99)))
end
