import { describe, expect, test } from "vitest";
import { annotations, type ProvisioningKey } from "../../api/v1alpha1/index.ts";
import { rotationRequest } from "./rotation.ts";

function pk(over: { rotation?: number; annotation?: string; status?: ProvisioningKey["status"] } = {}): Pick<ProvisioningKey, "metadata" | "spec" | "status"> {
  return {
    metadata: { name: "a", namespace: "ns", ...(over.annotation === undefined ? {} : { annotations: { [annotations.rotateRequest]: over.annotation } }) },
    spec: { rotation: over.rotation ?? 0 } as ProvisioningKey["spec"],
    status: over.status,
  } as Pick<ProvisioningKey, "metadata" | "spec" | "status">;
}

describe("rotation", () => {
  const cases: Array<{ reason: string; input: ReturnType<typeof pk>; want: boolean }> = [
    { reason: "no key yet: the first key is new anyway", input: pk({ rotation: 2 }), want: false },
    { reason: "counter above the observed rotation", input: pk({ rotation: 2, status: { id: "9", observedRotation: 1 } }), want: true },
    { reason: "counter already carried out", input: pk({ rotation: 2, status: { id: "9", observedRotation: 2 } }), want: false },
    { reason: "a new annotation value", input: pk({ annotation: "2024-01-01", status: { id: "9" } }), want: true },
    { reason: "the annotation value already carried out", input: pk({ annotation: "x", status: { id: "9", observedRotateRequest: "x" } }), want: false },
    { reason: "an empty annotation asks for nothing", input: pk({ annotation: "", status: { id: "9" } }), want: false },
  ];
  test.each(cases)("$reason", ({ input, want }) => expect(rotationRequest(input).requested).toBe(want));
});
