-- PATCH .../complete with no body (a toggle: every request changes a task)
-- over the tasks of the users in BENCH_USERS_FILE (lines of "user token id
-- id ..."), as bench/wrk/mixed.lua reads it.
WORKLOAD = "complete"
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
local users = {}

function init(args)
    math.randomseed(os.time() + math.floor(os.clock() * 1e6))
    for line in io.lines(os.getenv("BENCH_USERS_FILE")) do
        local f = {}
        for word in line:gmatch("%S+") do
            f[#f + 1] = word
        end
        local u = {base = "/api/" .. f[1] .. "/tasks/", auth = {["Authorization"] = "Bearer " .. f[2]}}
        u.ids = {}
        for i = 3, #f do
            u.ids[#u.ids + 1] = f[i]
        end
        users[#users + 1] = u
    end
end

function request()
    local u = users[math.random(#users)]
    return wrk.format("PATCH", u.base .. u.ids[math.random(#u.ids)] .. "/complete", u.auth)
end
