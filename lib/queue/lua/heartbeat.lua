--[[
  Records that workers are alive, stamped with the Redis server's clock so that clock skew
  between hosts can never make a live worker look dead (the reaper reads the same clock).

  KEYS[1] queue:<p>:workers (worker_id → last heartbeat, ms)
  ARGV    worker ids

  Returns the timestamp written, ms.
]]
local rcall = redis.call
local t = rcall("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local args = {}
for i = 1, #ARGV do
  args[#args + 1] = now
  args[#args + 1] = ARGV[i]
end
if #args > 0 then
  rcall("ZADD", KEYS[1], unpack(args))
end
return now
