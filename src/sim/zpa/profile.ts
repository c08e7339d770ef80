// Where ZPA's documents and its recorded traffic disagree, the simulator can play either side. The
// default is the traffic (what real tenants answer); "documented" reproduces the help-portal
// examples, which the DIGEST checklist and the doc-example replay are written against. Clients must
// work against both: the differences are exactly the ones a client can trip over.
//
// Evidence, by repository and path:
// - recorded: zscaler/zscaler-sdk-python, tests/integration/zpa/cassettes/*.yaml (VCR recordings of a
//   real OneAPI tenant: TestBACertificates, TestAppConnectorGroupProvisioningKey,
//   TestServiceEdgeGroupProvisioningKey, TestApplicationSegment*, TestSegmentGroup, TestServerGroup).
// - documented: ../shared/vendor-docs/zpa-*.txt and the help-portal pages mirrored in
//   nyvqwd22f5-gif/zscaler (zpa/zpa__configuring-certificates-using-api.md and siblings).

export type ZpaProfile = "recorded" | "documented";

export type ProfileFacts = {
  /** POST …/certificate. Recorded: 201 Created (TestBACertificates). Documented: "returns code 200". */
  readonly certificateCreateStatus: 200 | 201;
  /** POST …/provisioningKey. Recorded: 200 (both *ProvisioningKey cassettes). Documented: 201. */
  readonly provisioningKeyCreateStatus: 200 | 201;
  /** Recorded objects carry modifiedTime = creationTime from birth; the documents omit it until a change. */
  readonly modifiedTimeOnCreate: boolean;
  /** Recorded lists carry totalCount with or without search; the documents show it only on search. */
  readonly totalCountAlways: boolean;
  /** Recorded objects carry readOnly/zscalerManaged (and keys `exportable`); the documents do not. */
  readonly auditFlags: boolean;
  /** The documented certificate create answer names the microtenant; the recorded one does not (only reads do). */
  readonly microtenantNameOnCreate: boolean;
  /** The documents show appConnectorGroupName on connector keys; recorded reads do not carry it. */
  readonly appConnectorGroupName: boolean;
  /** Recorded: the OneAPI gateway answers a missing/expired bearer with its own body (TestAppConnectorGroup). */
  readonly gatewayUnauthorizedBody: boolean;
};

export const PROFILES: Readonly<Record<ZpaProfile, ProfileFacts>> = {
  recorded: {
    certificateCreateStatus: 201,
    provisioningKeyCreateStatus: 200,
    modifiedTimeOnCreate: true,
    totalCountAlways: true,
    auditFlags: true,
    microtenantNameOnCreate: false,
    appConnectorGroupName: false,
    gatewayUnauthorizedBody: true,
  },
  documented: {
    certificateCreateStatus: 200,
    provisioningKeyCreateStatus: 201,
    modifiedTimeOnCreate: false,
    totalCountAlways: false,
    auditFlags: false,
    microtenantNameOnCreate: true,
    appConnectorGroupName: true,
    gatewayUnauthorizedBody: false,
  },
};

/** The OneAPI gateway's 401 body as recorded (zscaler-sdk-python cassette TestAppConnectorGroup.yaml). */
export const GATEWAY_UNAUTHORIZED = { detail: "unauthorized", type: "", title: "", status: "" } as const;
