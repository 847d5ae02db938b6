-- POST small tasks for one user.
WORKLOAD = "create"
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
local counter = 0
local path = "/api/" .. os.getenv("BENCH_USER") .. "/tasks"
local headers = {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Content-Type"] = "application/json",
}

function request()
    counter = counter + 1
    return wrk.format("POST", path, headers, string.format(
        '{"title":"load task %d","priority":"medium","tags":"load,bench","due_date":"2031-03-14"}',
        counter))
end
