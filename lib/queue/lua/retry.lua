--[[
  Moves a claimed job from a worker's processing list to the delayed set, rewritten for its
  next attempt, atomically: a crash can neither lose it nor leave both copies.

  KEYS[1] queue:<p>:processing:<worker_id>
  KEYS[2] queue:<p>:delayed
  ARGV[1] the job exactly as claimed (LREM matches the exact string)
  ARGV[2] the job for its next attempt (a new string)
  ARGV[3] due time of the next attempt, ms

  Returns 1, or -1 (NOT_HELD) when the worker no longer holds the job (the reaper returned it
  to the queue meanwhile): then nothing is written, so the job is not duplicated.
]]
local rcall = redis.call
if rcall("LREM", KEYS[1], -1, ARGV[1]) == 0 then
  return -1
end
rcall("ZADD", KEYS[2], ARGV[3], ARGV[2])
return 1
