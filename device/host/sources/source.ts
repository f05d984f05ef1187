import type { Enrollment } from '../enrollment.js';

export interface Found { enrollments: Enrollment[]; warnings: string[] }

/** One enrollment format. A new format (Google Authenticator export, PSKC) is one more of these. */
export interface Source {
  readonly name: string;
  /** Cheap look at the bytes: is this mine? */
  sniff(bytes: Uint8Array): boolean;
  read(bytes: Uint8Array): Promise<Found>;
}
