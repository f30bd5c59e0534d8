-- wrk: POST a family's request with a fresh submission_id each time, as many clients would.
-- BENCH_INTERVAL_MS paces each connection (one request every so many ms): connections / interval
-- is the offered rate. Unset, every connection sends as fast as answers come (closed loop).
local places = {"raisio", "rusko", "naantali", "oulu", "kaarina", "turku"}
-- The phone family's number differs per request ("+358 40 %07d" below), as families' numbers do: one number
-- for every request would stop at the region's daily cap of text messages and turn the rest into refusals.
local methods = {
  '{"method":"phone","name":"Testi Vanhempi","phone":"+358 40 %07d","call_times":"arkisin 16-18"}',
  '{"method":"email","name":"Testi Vanhempi","email":"vanhempi@example.fi"}',
  '{"method":"anonymous"}',
}
local interval = tonumber(os.getenv("BENCH_INTERVAL_MS") or "0")
local path = os.getenv("BENCH_PATH") or "/api/v1/requests"
local n = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
end

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919 + math.floor(os.clock() * 1000000))
end

local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    return string.format("%x", c == "x" and math.random(0, 15) or math.random(8, 11))
  end))
end

function request()
  n = n + 1
  local body = '{"submission_id":"' .. uuid4() .. '","municipality":"' .. places[n % #places + 1] ..
    '","language":"fi","requester_role":"parent","topic":"child_emotions","child_age_group":"7-12",' ..
    '"message":"Lapsemme nukkuu huonosti ja on ollut alakuloinen. Kenen kanssa voisimme puhua?",' ..
    '"contact":' .. string.format(methods[n % #methods + 1], math.random(0, 9999999)) .. '}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

if interval > 0 then
  function delay()
    return interval
  end
end

function done(summary, latency, requests)
  local codes = summary.errors
  io.write(string.format(
    "BENCH {\"requests\":%d,\"seconds\":%.3f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f," ..
    "\"non_2xx\":%d,\"connect_errors\":%d,\"read_errors\":%d,\"timeouts\":%d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, codes.status, codes.connect, codes.read, codes.timeout))
end
