--[[
  Gives a claimed, unstarted job back: from a worker's processing list to the consuming end of
  the queue, so it is the next one taken and FIFO order is kept. Used when a claim returns
  after shutdown began.

  KEYS[1] queue:<p>:processing:<worker_id>
  KEYS[2] queue:<p>
  ARGV[1] the job exactly as claimed

  Returns 1, or -1 (NOT_HELD) when the worker no longer holds the job.
]]
local rcall = redis.call
if rcall("LREM", KEYS[1], -1, ARGV[1]) == 0 then
  return -1
end
rcall("RPUSH", KEYS[2], ARGV[1])
return 1
