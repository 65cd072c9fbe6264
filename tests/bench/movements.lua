-- movements.lua -- wrk script of scripts/bench: POST /api/v1/movements
-- (issue of 1 unit) with a fresh Idempotency-Key per request, on a random
-- (bin, lot) of the bench's lots, or always the first one when the
-- environment has BENCH_HOT=1.  BENCH_ROWS names a file of "bin lot" lines,
-- BENCH_TOKEN is the session.  Answers other than 201 are counted and
-- printed at the end (wrk itself counts only non-2xx/3xx).
local rows, nrows, hot, token
local counter, tid = 0, 0
local threads = {}

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
  table.insert(threads, thread)
end

function init(args)
  rows, nrows = {}, 0
  for line in io.lines(os.getenv("BENCH_ROWS")) do
    local b, l = line:match("^(%d+)%s+(%d+)")
    if b then
      nrows = nrows + 1
      rows[nrows] = { b, l }
    end
  end
  hot = os.getenv("BENCH_HOT") == "1"
  token = os.getenv("BENCH_TOKEN")
  bad = 0
  math.randomseed(os.time() * 1000 + tid)
  wrk.method = "POST"
  wrk.path = "/api/v1/movements"
end

function request()
  counter = counter + 1
  local r = rows[hot and 1 or math.random(nrows)]
  local body = '{"kind":"issue","bin_id":' .. r[1] .. ',"lot_id":' .. r[2] ..
               ',"qty":1,"recipient":"bench"}'
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = string.format("wrk-%d-%d-%d-%d", os.time(), tid, counter, math.random(1e9)),
  }
  return wrk.format("POST", "/api/v1/movements", headers, body)
end

function response(status, headers, body)
  if status ~= 201 then
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
