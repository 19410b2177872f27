-- wrk script for the redirect bench: GET /l/<slug>, responses counted by status per thread.
--   wrk ... -s bench/lib/redirect.lua <url> -- <mode> <first> <last> <seed> <threads>
--   mode "cycle": round robin over slugs first..last (the hot set; also used against the baseline).
--   mode "once":  one pass over a random permutation of first..last, split between threads; a thread
--                 stops when its share is done, so every request of the run is a first visit (a miss).
--                 Requests made while a thread is stopping go to /healthz, so they are not clicks.
-- Slugs are 'b' .. 7-digit zero-padded index, as seeded by bench/lib/db.ts.
-- done() prints one line "BENCH_JSON {...}" with the summed counts; wrk's own report still prints.
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *tp);
]])
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC: one clock for all threads of the process
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

-- Main script state: setup() numbers the threads, done() sums them.
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- Thread state (globals, so thread:get() can read them back in done()).
sent, s302, s404, other, tail, first_us, last_us, exhausted = 0, 0, 0, 0, 0, 0, 0, 0
local paths, pos, mode, tail_req, verifying

function init(args)
  mode = args[1]
  local first, last, seed = tonumber(args[2]), tonumber(args[3]), tonumber(args[4] or "1")
  local nthreads = tonumber(args[5] or "1") -- this thread's state never saw setup(), pass the count
  local ids = {}
  for i = first, last do
    ids[#ids + 1] = i
  end
  if mode == "once" then
    -- Same permutation in every thread (same seed), each takes every nthreads-th element.
    math.randomseed(seed)
    for i = #ids, 2, -1 do
      local j = math.random(i)
      ids[i], ids[j] = ids[j], ids[i]
    end
    local mine = {}
    for i = (tid or 0) + 1, #ids, nthreads do
      mine[#mine + 1] = ids[i]
    end
    ids = mine
  elseif mode ~= "cycle" then
    error("mode must be cycle or once, got " .. tostring(mode))
  end
  paths = {}
  for i = 1, #ids do
    paths[i] = wrk.format("GET", string.format("/l/b%07d", ids[i]))
  end
  tail_req = wrk.format("GET", "/healthz")
  pos = 0
  -- wrk calls request() once in thread 0 to check for pipelining and never sends that one.
  verifying = (tid or 0) == 0
end

function request()
  if verifying then
    verifying = false
    return paths[1]
  end
  pos = pos + 1
  if pos > #paths then
    if mode == "once" then
      -- stop() ends the event loop only after the current batch of events, so more calls may come.
      if exhausted == 0 then
        exhausted = 1
        wrk.thread:stop()
      end
      return tail_req
    end
    pos = 1
  end
  if sent == 0 then first_us = now_us() end
  sent = sent + 1
  return paths[pos]
end

function response(status, headers, body)
  if exhausted == 1 and status == 200 then
    tail = tail + 1 -- a /healthz answer (see request())
  elseif status == 302 then
    s302 = s302 + 1
  elseif status == 404 then
    s404 = s404 + 1
  else
    other = other + 1
  end
  if mode == "once" then last_us = now_us() end -- only a run that can end early needs its own clock
end

function done(summary, latency, requests)
  local t = { sent = 0, s302 = 0, s404 = 0, other = 0, tail = 0, exhausted = 0, first_us = 0, last_us = 0 }
  for _, thread in ipairs(threads) do
    for _, k in ipairs({ "sent", "s302", "s404", "other", "tail", "exhausted" }) do
      t[k] = t[k] + thread:get(k)
    end
    local f, l = thread:get("first_us"), thread:get("last_us")
    if f > 0 and (t.first_us == 0 or f < t.first_us) then t.first_us = f end
    if l > t.last_us then t.last_us = l end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"sent":%d,"s302":%d,"s404":%d,"other":%d,"tail":%d,"exhausted":%d,"activeUs":%d,'
      .. '"requests":%d,"durationUs":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"p50Us":%d,"p75Us":%d,"p90Us":%d,"p99Us":%d,"p999Us":%d,"maxUs":%d,'
      .. '"rateMean":%d,"rateStdev":%d,"rateP10":%d,"rateP90":%d}\n',
    t.sent, t.s302, t.s404, t.other, t.tail, t.exhausted, math.max(0, t.last_us - t.first_us),
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max,
    -- per-thread request rate sampled every 100 ms: a wide spread means throughput flipped mid-run
    requests.mean, requests.stdev, requests:percentile(10), requests:percentile(90)))
end
