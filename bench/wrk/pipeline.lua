-- wrk script: each send carries DEPTH pipelined GETs (default 16), so the server answers a batch
-- per read. Used by bench/http.ts --pipeline. wrk counts every response, so req/s stays comparable.
init = function(args)
  local depth = tonumber(args[1]) or 16
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format(nil, "/")
  end
  pipelined = table.concat(batch)
end

request = function()
  return pipelined
end
