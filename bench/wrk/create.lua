-- POST small tasks for one user. With BENCH_IDEMPOTENCY set, every request
-- carries its own Idempotency-Key (API.md section 7.2; a server without it
-- ignores the header).
WORKLOAD = os.getenv("BENCH_IDEMPOTENCY") and "create_idem" or "create"
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
local counter = 0
local path = "/api/" .. os.getenv("BENCH_USER") .. "/tasks"
local headers = {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Content-Type"] = "application/json",
}
local key_prefix = os.getenv("BENCH_IDEMPOTENCY") and
    string.format("bench-%d-%d-", os.time(), math.random(1, 1e9)) or nil

function request()
    counter = counter + 1
    if key_prefix then
        headers["Idempotency-Key"] = key_prefix .. counter
    end
    return wrk.format("POST", path, headers, string.format(
        '{"title":"load task %d","priority":"medium","tags":"load,bench","due_date":"2031-03-14"}',
        counter))
end
