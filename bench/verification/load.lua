-- wrk script of the verification benchmark: every request carries the Bearer token; POST
-- bodies come from a file (one JSON document a line), taken in turn, each thread starting
-- elsewhere. Counts 200 answers that matched or missed; prints one JSON line at the end.
-- Arguments (after "--"): token, method, path, bodies file ("" for none).

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function init(args)
  token, method, path, file = args[1], args[2], args[3], args[4]
  bodies = {}
  if file ~= nil and file ~= "" then
    for line in io.lines(file) do bodies[#bodies + 1] = line end
  end
  position = (id * 7919) % math.max(#bodies, 1)
  headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  ok, matched, missed, other = 0, 0, 0, 0
end

function request()
  if #bodies == 0 then
    return wrk.format(method, path, headers, nil)
  end
  position = position % #bodies + 1
  return wrk.format(method, path, headers, bodies[position])
end

function response(status, response_headers, body)
  if status ~= 200 then
    other = other + 1
    return
  end
  ok = ok + 1
  if string.find(body, '"match": true', 1, true) or string.find(body, '"match":true', 1, true) then
    matched = matched + 1
  elseif string.find(body, '"match": false', 1, true) or string.find(body, '"match":false', 1, true) then
    missed = missed + 1
  end
end

function done(summary, latency, requests)
  local totals = {ok = 0, matched = 0, missed = 0, other = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
  end
  local errors = summary.errors
  io.write(string.format(
    '@@RESULT@@{"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"ok":%d,"matched":%d,"missed":%d,"other":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, totals.ok, totals.matched, totals.missed,
    totals.other, errors.connect + errors.read + errors.write + errors.timeout))
end
