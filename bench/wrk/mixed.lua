-- A day of use: 40% list, 40% get one, 5% replace, 5% toggle completion,
-- 10% create-then-delete, spread over the users in BENCH_USERS_FILE (lines of
-- "user token id id ..."). Every request of a correct server is 2xx.
WORKLOAD = "mixed"
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
local users = {}
local counter = 0

function init(args)
    math.randomseed(os.time() + math.floor(os.clock() * 1e6))
    for line in io.lines(os.getenv("BENCH_USERS_FILE")) do
        local f = {}
        for word in line:gmatch("%S+") do
            f[#f + 1] = word
        end
        local u = {base = "/api/" .. f[1] .. "/tasks", ids = {}, mine = {}}
        u.auth = {["Authorization"] = "Bearer " .. f[2]}
        u.json = {["Authorization"] = "Bearer " .. f[2], ["Content-Type"] = "application/json"}
        for i = 3, #f do
            u.ids[#u.ids + 1] = f[i]
        end
        users[#users + 1] = u
        users[f[1]] = u
    end
end

function after_response(status, headers, body)
    if status == 201 then
        local loc = headers["Location"] or headers["location"]
        local user, id = loc:match("^/api/([^/]+)/tasks/(%d+)$")
        if user ~= nil and users[user] ~= nil then
            table.insert(users[user].mine, id)
        end
    end
end

function request()
    local u = users[math.random(#users)]
    local dice = math.random(100)
    local id = u.ids[math.random(#u.ids)]
    counter = counter + 1
    if dice <= 40 then
        return wrk.format("GET", u.base, u.auth)
    elseif dice <= 80 then
        return wrk.format("GET", u.base .. "/" .. id, u.auth)
    elseif dice <= 85 then
        return wrk.format("PUT", u.base .. "/" .. id, u.json, string.format(
            '{"title":"replaced %d","description":"by the mixed workload","priority":"high",' ..
            '"tags":"x,y","due_date":"2031-05-01","due_time":"08:15"}', counter))
    elseif dice <= 90 then
        return wrk.format("PATCH", u.base .. "/" .. id .. "/complete", u.auth)
    elseif dice <= 95 or #u.mine == 0 then
        return wrk.format("POST", u.base, u.json,
            string.format('{"title":"mixed %d","tags":"mixed"}', counter))
    else
        return wrk.format("DELETE", u.base .. "/" .. table.remove(u.mine), u.auth)
    end
end
