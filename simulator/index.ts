/** Placeholder: the ONTAP simulator entry point (see issue "Foundation"). */
export const simulatorVersion = "0.1.0";
