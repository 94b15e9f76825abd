--[[
  Moves a claimed job from a worker's processing list to the dead list, atomically.

  KEYS[1] queue:<p>:processing:<worker_id>
  KEYS[2] queue:<p>:dead
  ARGV[1] the job exactly as claimed
  ARGV[2] the dead-list entry (JSON: job, reason, failed_at, worker_id)

  Returns 1, or -1 (NOT_HELD) when the worker no longer holds the job; nothing is written then.
]]
local rcall = redis.call
if rcall("LREM", KEYS[1], -1, ARGV[1]) == 0 then
  return -1
end
rcall("LPUSH", KEYS[2], ARGV[2])
return 1
