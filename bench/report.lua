-- wrk script: optional request shapes from the environment, and one JSON line of results.
--   BENCH_PATH          path (default: the URL's), `{ids}` replaced by the ids of the call
--   BENCH_WINDOW        when > 0: each call asks for a random run of that many ids in 1..BENCH_ID_MAX
--   BENCH_METHOD/BODY   method and body (POST for GraphQL)
--   BENCH_MAX_REQUESTS  stop the thread after this many responses (exact counts with -c1)
local path = os.getenv("BENCH_PATH")
local window = tonumber(os.getenv("BENCH_WINDOW") or "0")
local id_max = tonumber(os.getenv("BENCH_ID_MAX") or "1000")
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "0")
local responses = 0

function init(args)
  math.randomseed(os.time())
end

function request()
  local target = path or wrk.path
  if window > 0 then
    local first = math.random(1, id_max - window + 1)
    local ids = {}
    for i = 0, window - 1 do
      ids[#ids + 1] = tostring(first + i)
    end
    target = string.gsub(target, "{ids}", table.concat(ids, ","))
  end
  return wrk.format(method, target, nil, body)
end

if max_requests > 0 then
  function response(status, headers, body)
    responses = responses + 1
    if responses >= max_requests then
      wrk.thread:stop()
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
