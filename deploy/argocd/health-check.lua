-- Argo CD health for certbridge.dev kinds (ManagedCertificate, ProvisioningKey, VendorConnection,
-- ClusterVendorConnection, VendorIssuer, ClusterVendorIssuer), read from the Ready and Issuing
-- conditions and observedGeneration.
-- Install it with argocd-cm.yaml (generated from this file by `npm run gen:deploy`).
local hs = { status = "Progressing", message = "Waiting for certbridge to report status" }

-- Reasons of Ready=False that mean "wait", not "broken" (src/api/v1alpha1/conditions.ts).
local waiting = {
  Pending = true,
  AwaitingApproval = true,
  AwaitingValidation = true,
  Renewing = true,
  RateLimited = true,
  Deleting = true,
}

-- An issuer's Ready mirrors its connection (ADR 0017): ConnectionNotReady means it waits for the
-- connection's verification; a broken connection shows Degraded on the connection itself. Any other
-- issuer reason (connection missing, not permitted, wrong vendor, invalid spec) is the issuer's to fix.
local waitingForConnection = {
  VendorIssuer = "ConnectionNotReady",
  ClusterVendorIssuer = "ConnectionNotReady",
}

local function condition(conditions, wanted)
  for _, c in ipairs(conditions) do
    if c.type == wanted then
      return c
    end
  end
  return nil
end

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return (c.reason or "") .. ": " .. c.message
  end
  return c.reason or ""
end

if obj.status == nil or obj.status.conditions == nil then
  return hs
end

local ready = condition(obj.status.conditions, "Ready")
if ready == nil then
  return hs
end

local generation = obj.metadata.generation
local observed = ready.observedGeneration or obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.message = "Waiting for certbridge to observe generation " .. generation
  return hs
end

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end

local issuing = condition(obj.status.conditions, "Issuing")
if issuing ~= nil and issuing.status == "True" then
  hs.message = describe(issuing)
  return hs
end

if ready.status == "False" and not waiting[ready.reason] and waitingForConnection[obj.kind] ~= ready.reason then
  hs.status = "Degraded"
end
hs.message = describe(ready)
return hs
