-- Included by every workload: counts answers that are not 2xx and prints one
-- machine-readable line at the end. WORKLOAD names the workload. With
-- BENCH_EXPECT set (e.g. 304), only that status counts as good.
local all_threads = {}
local expect = tonumber(os.getenv("BENCH_EXPECT") or "")
bad = 0

function setup(thread)
    all_threads[#all_threads + 1] = thread
end

function response(status, headers, body)
    if (expect ~= nil and status ~= expect) or (expect == nil and (status < 200 or status >= 300)) then
        bad = bad + 1
    end
    if after_response ~= nil then
        after_response(status, headers, body)
    end
end

function done(summary, latency, requests)
    local bad_total = 0
    for _, t in ipairs(all_threads) do
        bad_total = bad_total + (t:get("bad") or 0)
    end
    local e = summary.errors
    io.write(string.format(
        "BENCH %s requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d socket_errors=%d\n",
        WORKLOAD, summary.requests, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, bad_total,
        e.connect + e.read + e.write + e.timeout))
end
