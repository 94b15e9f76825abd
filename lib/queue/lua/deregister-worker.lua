--[[
  Removes a worker from the live set on a clean stop, but only if it holds no job: a worker
  that stops with jobs still held stays listed, its heartbeat goes stale, and the reaper
  returns the jobs to the queue.

  KEYS[1] queue:<p>:workers
  KEYS[2] queue:<p>:processing:<worker_id>
  ARGV[1] worker id

  Returns 1 when removed, 0 when it still holds jobs.
]]
local rcall = redis.call
if rcall("LLEN", KEYS[2]) > 0 then
  return 0
end
rcall("ZREM", KEYS[1], ARGV[1])
return 1
