--[[
  Returns every job of a dead worker to its queue and forgets the worker, atomically.

  KEYS[1] queue:<p>:workers
  KEYS[2] queue:<p>:processing:<worker_id>
  KEYS[3] queue:<p>
  KEYS[4] queue:<p>:dead
  KEYS[5] queue:<p>:recoveries (hash: sha1 of a job string → times it was recovered)
  ARGV[1] worker id
  ARGV[2] heartbeat timeout, ms: the worker is dead if its heartbeat is older (Redis clock)
  ARGV[3] most recoveries of one job; the next one sends it to the dead list (poison job)
  ARGV[4] "orphan" to take over a processing list whose worker is absent from KEYS[1]
          (a live worker that was reaped while stalled, then died before its next heartbeat);
          anything else to reap a worker listed in KEYS[1]
  ARGV[5] how long the recovery counts are kept after the last recovery, ms

  Returns {requeued jobs, dead-lettered jobs}, or -2 (WORKER_ALIVE) when the worker is not
  dead after all (it sent a heartbeat since it was found stale, or, for "orphan", it is
  listed), or it is not listed anymore (another scheduler reaped it first).

  Jobs go back to the consuming end of the queue, oldest first, so they run next. A job whose
  string was recovered more than ARGV[3] times kills its worker every time: it is dead-lettered
  instead of looping forever. The string does not change across recoveries (a job is never
  rewritten while held), so its sha1 identifies it.
]]
local rcall = redis.call
local t = rcall("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local score = rcall("ZSCORE", KEYS[1], ARGV[1])
if ARGV[4] == "orphan" then
  if score then
    return -2
  end
else
  if not score or tonumber(score) > now - tonumber(ARGV[2]) then
    return -2
  end
  rcall("ZREM", KEYS[1], ARGV[1])
end

local maxRecoveries = tonumber(ARGV[3])
local requeued, dead = {}, {}
-- LPOP takes the newest claim first and RPUSH puts it at the consuming end, so the oldest
-- claim ends up nearest the consumers.
while true do
  local job = rcall("LPOP", KEYS[2])
  if not job then
    break
  end
  local field = redis.sha1hex(job)
  local count = rcall("HINCRBY", KEYS[5], field, 1)
  if count > maxRecoveries then
    rcall("HDEL", KEYS[5], field)
    rcall("LPUSH", KEYS[4], cjson.encode({
      job = job,
      reason = "poison: its worker died " .. count .. " times while holding it",
      failed_at = now,
      worker_id = ARGV[1],
    }))
    dead[#dead + 1] = job
  else
    rcall("RPUSH", KEYS[3], job)
    requeued[#requeued + 1] = job
  end
end
if #requeued > 0 then
  rcall("PEXPIRE", KEYS[5], ARGV[5])
end
return {requeued, dead}
