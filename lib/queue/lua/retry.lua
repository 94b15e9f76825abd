--[[
  Moves a claimed job from a worker's processing list to the delayed set, rewritten for its
  next attempt, atomically: a crash can neither lose it nor leave both copies. The due time is
  taken on the Redis server's clock, the one promote-due reads, so a worker whose own clock is
  off can neither make a retry come back at once nor hold it back.

  KEYS[1] queue:<p>:processing:<worker_id>
  KEYS[2] queue:<p>:delayed
  ARGV[1] the job exactly as claimed (LREM matches the exact string)
  ARGV[2] the job for its next attempt (a new string)
  ARGV[3] delay before the next attempt, ms

  Returns the due time, ms (Redis clock), or -1 (NOT_HELD) when the worker no longer holds the
  job (the reaper returned it to the queue meanwhile): then nothing is written, so the job is not
  duplicated.
]]
local rcall = redis.call
if rcall("LREM", KEYS[1], -1, ARGV[1]) == 0 then
  return -1
end
local t = rcall("TIME")
local due = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3])
rcall("ZADD", KEYS[2], due, ARGV[2])
return due
