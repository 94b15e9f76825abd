--[[
  Acks a worker's finished jobs and takes the next job, without blocking, in one round trip.
  The consumer's fast path while the queue has work: all of a process's workers send this on one
  shared connection, so replies come back in batches; only an empty queue sends a worker to
  BLMOVE on its own connection.

  KEYS[1] queue:<p>:processing:<worker_id>
  KEYS[2] queue:<p>
  ARGV    jobs to ack, each exactly as claimed (LREM matches the exact string); may be none

  Returns {next job or nil, how many of ARGV were still held}. The next job was moved from the
  consuming end of the queue into the worker's processing list (LMOVE RIGHT → LEFT), as BLMOVE
  would have.
]]
local rcall = redis.call
local held = 0
for i = 1, #ARGV do
  held = held + rcall("LREM", KEYS[1], -1, ARGV[i])
end
return {rcall("LMOVE", KEYS[2], KEYS[1], "RIGHT", "LEFT"), held}
