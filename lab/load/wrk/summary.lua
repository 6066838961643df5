-- The lab's wrk script: sets the request (POST with a body for /compute) and, when wrk is done,
-- writes wrk's own figures as JSON for lab/load/wrk.ts to parse into the lab's LoadSummary.
--
--   LAB_WRK_SUMMARY=out.json LAB_WRK_METHOD=POST LAB_WRK_BODY=payload \
--     wrk -t4 -c100 -d30s --timeout 10s -s lab/load/wrk/summary.lua http://127.0.0.1:8080/compute
--
-- Inputs arrive as environment variables because done() runs in wrk's main Lua state, which never
-- sees the arguments after `--`. Figures stay in wrk's units (microseconds) and names; the
-- conversion to milliseconds and to ok/failed counts is the parser's job, where it is tested.
-- No response() hook: it would make wrk parse every reply in Lua and cost it most of its speed.

local method = os.getenv("LAB_WRK_METHOD")
if method ~= nil and method ~= "" then
  wrk.method = method
  wrk.body = os.getenv("LAB_WRK_BODY") or ""
  wrk.headers["Content-Type"] = "application/octet-stream"
end

local function number(value)
  -- %.17g keeps doubles exact; a histogram with no sample reports min as 2^64-1, kept as is.
  return string.format("%.17g", value)
end

function done(summary, latency, requests)
  local path = os.getenv("LAB_WRK_SUMMARY")
  if path == nil or path == "" then
    io.stderr:write("summary.lua: LAB_WRK_SUMMARY is not set; no summary written\n")
    return
  end
  local e = summary.errors
  local parts = {
    '"durationUs":' .. number(summary.duration),
    '"requests":' .. number(summary.requests),
    '"bytes":' .. number(summary.bytes),
    '"errors":{"connect":' .. number(e.connect) .. ',"read":' .. number(e.read)
      .. ',"write":' .. number(e.write) .. ',"status":' .. number(e.status)
      .. ',"timeout":' .. number(e.timeout) .. '}',
    '"latencyUs":{"min":' .. number(latency.min) .. ',"max":' .. number(latency.max)
      .. ',"mean":' .. number(latency.mean) .. ',"stdev":' .. number(latency.stdev)
      .. ',"p50":' .. number(latency:percentile(50)) .. ',"p90":' .. number(latency:percentile(90))
      .. ',"p95":' .. number(latency:percentile(95)) .. ',"p99":' .. number(latency:percentile(99)) .. '}',
  }
  local file, problem = io.open(path, "w")
  if file == nil then
    io.stderr:write("summary.lua: cannot write " .. path .. ": " .. tostring(problem) .. "\n")
    return
  end
  file:write("{" .. table.concat(parts, ",") .. "}\n")
  file:close()
end
