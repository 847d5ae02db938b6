-- GET the task list and count answers by status (200, 503, other): what
-- clients see while the database goes away and comes back.
WORKLOAD = "outage"
local all_threads = {}
ok, unavailable, other = 0, 0, 0

function setup(thread)
    all_threads[#all_threads + 1] = thread
end

wrk.method = "GET"
wrk.path = "/api/" .. os.getenv("BENCH_USER") .. "/tasks"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

function response(status, headers, body)
    if status == 200 then
        ok = ok + 1
    elseif status == 503 then
        unavailable = unavailable + 1
    else
        other = other + 1
    end
end

function done(summary, latency, requests)
    local t = {ok = 0, unavailable = 0, other = 0}
    for _, th in ipairs(all_threads) do
        for k, _ in pairs(t) do
            t[k] = t[k] + (th:get(k) or 0)
        end
    end
    local e = summary.errors
    io.write(string.format(
        "BENCH %s requests=%d status_200=%d status_503=%d status_other=%d p50_ms=%.3f " ..
        "p99_ms=%.3f max_ms=%.3f socket_errors=%d\n", WORKLOAD, summary.requests, t.ok,
        t.unavailable, t.other, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, e.connect + e.read + e.write + e.timeout))
end
