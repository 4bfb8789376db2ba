-- wrk script for the server-ceiling contestant of `make bench`: the same
-- alternating POST and DELETE with a JSON body that the clients send.
-- Arguments after `--`: PATH API_KEY USER_ID USER_AGENT.

local requests = {}
local sent = 0

function init(args)
   local path, api_key, user_id, user_agent = args[1], args[2], args[3], args[4]
   local headers = {
      ["Accept-Encoding"] = "gzip",
      ["Authorization"] = "Bearer " .. api_key,
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json",
      ["User-Agent"] = user_agent,
      ["x-stainless-retry-count"] = "0",
   }
   local body = '{"userId":"' .. user_id .. '"}'
   -- wrk.format adds Host and Content-Length. Both requests are built once.
   requests[0] = wrk.format("POST", path, headers, body)
   requests[1] = wrk.format("DELETE", path, headers, body)
end

function request()
   local next_request = requests[sent % 2]
   sent = sent + 1
   return next_request
end

function done(summary, latency, requests_done)
   io.write(string.format(
      'WRK_RESULT {"requests":%d,"duration_us":%d,"errors":%d,"non_2xx":%d,"p50_us":%d,"p99_us":%d}\n',
      summary.requests, summary.duration,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
