-- wrk driver for the Allot benchmarks: replays a request file and reports per-status counts
-- and latency percentiles (wrk records every request's latency; `done` reads them).
--
-- Usage: wrk -t T -c C -d D -s requests.lua URL -- <request file> <threads> <loop|once>
-- Request file: one request per line, tab separated: METHOD, PATH, TOKEN (or empty), BODY (or empty).
-- "once": thread t takes lines t, t+T, t+2T, ... and sends each once, so a file of distinct
-- bookings stays distinct; a thread that runs out stops (size the file so none does: a stopped
-- thread leaves its connections open, and gunicorn's sync worker lingers up to 2 s on them).
-- "loop": every thread cycles through all lines, starting at a different place.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads, mode = args[1], tonumber(args[2]), args[3]
  loop = (mode == "loop")
  reqs = {}
  local i = 0
  for line in io.lines(path) do
    if loop or i % nthreads == tid then
      local method, p, token, body = line:match("^(%u+)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if token ~= "" then headers["Authorization"] = "Bearer " .. token end
      if body ~= "" then
        headers["Content-Type"] = "application/json"
      else
        body = nil
      end
      reqs[#reqs + 1] = wrk.format(method, p, headers, body)
    end
    i = i + 1
  end
  idx = loop and math.floor(#reqs * tid / nthreads) or 0
  statuses = {}
  exhausted = 0
  spare = wrk.format("GET", "/healthz")
end

function request()
  idx = idx + 1
  if idx > #reqs then
    if loop and #reqs > 0 then
      idx = 1
    else
      exhausted = 1
      wrk.thread:stop()
      return spare
    end
  end
  return reqs[idx]
end

function response(status, headers, body)
  if exhausted == 0 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local counts = {}
  local exhausted_threads = 0
  for _, thread in ipairs(threads) do
    local st = thread:get("statuses")
    for code, n in pairs(st) do
      counts[code] = (counts[code] or 0) + n
    end
    exhausted_threads = exhausted_threads + thread:get("exhausted")
  end
  local parts = {}
  for code, n in pairs(counts) do
    parts[#parts + 1] = string.format('"%d": %d', code, n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "status": {%s}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d}, ' ..
    '"exhausted_threads": %d}\n',
    summary.requests, summary.duration, summary.bytes, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, exhausted_threads))
end
