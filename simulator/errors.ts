/**
 * ONTAP error answers. Codes 262xxx come from ONTAP's REST framework (validated before any work starts);
 * codes 655xxxxx/6606xxxx come from the key-manager subsystem (on later releases they surface in a job).
 */

/** An ONTAP error: HTTP status + `{error: {message, code, target}}`. Messages never carry secrets. */
export class SimulatedOntapError extends Error {
  constructor(
    /** HTTP status to answer with. */
    readonly status: number,
    /** ONTAP error code, a string of digits. */
    readonly code: string,
    message: string,
    /** Field the error is about, when there is one. */
    readonly target?: string,
  ) {
    super(message);
    this.name = "SimulatedOntapError";
  }

  /** Whether the key-manager subsystem (not the REST framework) raised it: those become job failures. */
  get fromSubsystem(): boolean {
    return this.code.length >= 8 && !this.code.startsWith("262");
  }

  /** The ONTAP error body. */
  body(): { error: { message: string; code: string; target?: string } } {
    return {
      error: {
        message: this.message,
        code: this.code,
        ...(this.target !== undefined ? { target: this.target } : {}),
      },
    };
  }
}

/** Key-manager subsystem codes used by the simulator. */
export const Code = {
  maxServers: "65536038",
  existingPassphraseWrong: "65536139",
  newPassphraseSame: "65536150",
  passphraseLengthPatch: "65536404",
  serverHoldsKeys: "65536700",
  certNotInstalled: "65536821",
  alreadyHasKeyManager: "65536823",
  externalNotEnabled: "65536828",
  serverNotConfigured: "65536843",
  missingUsername: "65536845",
  missingPassword: "65536846",
  differentKeyPair: "65536850",
  encryptedVolumesExist: "65536867",
  duplicateServers: "65536871",
  externalIncomplete: "65536876",
  onboardAlreadyEnabled: "65536907",
  onboardOnlyAdminSvm: "65536916",
  rotationNeedsBoth: "65536917",
  passphraseLengthPost: "65536920",
  // Key-server PATCH (9.11+ secondary servers; 9.14+ create_remove_timeout).
  noServerValues: "65536880",
  maxSecondaryServers: "65537400",
  secondaryIsItsPrimary: "65538407",
  secondaryDuplicates: "65538408",
  secondaryFormat: "65538413",
  secondaryIsAPrimary: "65538502",
  secondaryNeeds9111: "65538503",
  // Key stores (PATCH/DELETE /api/security/key-stores/{uuid}, 9.14+; admin SVM 9.16+).
  keyStoreEnabledCannotDelete: "65538905",
  keyStoreNotFound: "65538908",
  keyStoreEnabledRequired: "65538909",
  keyStoreDisableUnsupported: "65538910",
  keyStoreTypesOnDataSvm: "65539222",
  keyStoreAlreadyEnabled: "65539218",
  keyStoreNotActive: "65539212",
  keyStoreAdminNeeds9161: "65539513",
  keyStoreAdminTypes: "65539515",
  keyStoreDeleteAdminNeeds9161: "65539521",
  keyStoreDeleteWhileSwitching: "65539593",
} as const;

/** 404 code "4". */
export function notFound(): SimulatedOntapError {
  return new SimulatedOntapError(404, "4", "entry doesn't exist");
}

/** 400 262179: a body field or query parameter the operation does not know. */
export function unexpectedArgument(name: string): SimulatedOntapError {
  return new SimulatedOntapError(400, "262179", `Unexpected argument "${name}".`, name);
}

/** 400 262196: a readable field that this operation cannot set. */
export function cannotSet(name: string): SimulatedOntapError {
  return new SimulatedOntapError(400, "262196", `Field "${name}" cannot be set in this operation.`, name);
}

/** 400 262185: a body field with a value of the wrong type or format (the value is never echoed). */
export function invalidValue(name: string, why?: string): SimulatedOntapError {
  return new SimulatedOntapError(
    400,
    "262185",
    `Invalid value for field "${name}"${why ? `: ${why}` : ""}.`,
    name,
  );
}

/** 400 262197: a query parameter with an invalid value. */
export function invalidQueryValue(name: string, value: string): SimulatedOntapError {
  return new SimulatedOntapError(400, "262197", `The value "${value}" is invalid for field "${name}".`, name);
}

/** 400 262177: a required field is missing. */
export function missingValue(name: string): SimulatedOntapError {
  return new SimulatedOntapError(400, "262177", `Missing value for field "${name}".`, name);
}

/** 400 262186: two fields that cannot be given together. */
export function invalidContext(name: string, other: string): SimulatedOntapError {
  return new SimulatedOntapError(
    400,
    "262186",
    `Field "${name}" cannot be used with field "${other}".`,
    name,
  );
}

/** 400 with a key-manager subsystem code. */
export function refused(code: string, message: string, target?: string): SimulatedOntapError {
  return new SimulatedOntapError(400, code, message, target);
}
