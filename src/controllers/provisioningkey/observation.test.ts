import { describe, expect, test } from "vitest";
import { annotations, type ProvisioningKey } from "../../api/v1alpha1/index.ts";
import { observationRequest } from "./observation.ts";

function pk(annotation: string | undefined, observed?: string): Pick<ProvisioningKey, "metadata" | "status"> {
  return {
    metadata: { name: "a", namespace: "ns", ...(annotation === undefined ? {} : { annotations: { [annotations.observeRequest]: annotation } }) },
    status: { id: "9", ...(observed === undefined ? {} : { observedObserveRequest: observed }) },
  };
}

describe("observationRequest", () => {
  const cases: Array<{ reason: string; input: ReturnType<typeof pk>; requested: boolean; value: string | undefined }> = [
    { reason: "no annotation: the drift check decides", input: pk(undefined), requested: false, value: undefined },
    { reason: "a new value asks for one observation", input: pk("2030-01-01T00:00:00Z"), requested: true, value: "2030-01-01T00:00:00Z" },
    { reason: "the value already acted on asks for nothing", input: pk("a", "a"), requested: false, value: "a" },
    { reason: "a changed value asks again", input: pk("b", "a"), requested: true, value: "b" },
    { reason: "an empty value asks for nothing", input: pk("", "a"), requested: false, value: undefined },
  ];
  test.each(cases)("$reason", ({ input, requested, value }) => expect(observationRequest(input)).toEqual({ requested, value }));
});
