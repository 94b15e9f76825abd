--[[
  Moves the members of a sorted set whose score is due to the back of a list, atomically.
  Used for retries: queue:<p>:delayed → queue:<p>. "Due" is read on the Redis server's clock,
  the one retry.lua stamps due times with.

  KEYS[1] the sorted set (member → due time in ms, Redis clock)
  KEYS[2] the destination list (LPUSH: the back of the FIFO, as producers do)
  ARGV[1] the most members to move in one call (bounds the time Redis is held)

  Returns the moved members, oldest due first.

  Several schedulers may run this at the same moment: Redis runs one script at a time, and a
  member is read and removed inside the same script, so each is moved exactly once.
]]
local rcall = redis.call
local t = rcall("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = rcall("ZRANGEBYSCORE", KEYS[1], "-inf", now, "LIMIT", 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  rcall("LPUSH", KEYS[2], member)
  rcall("ZREM", KEYS[1], member)
end
return due
