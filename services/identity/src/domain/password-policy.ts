import { errors } from '../errors.ts';
import { COMMON_PASSWORDS } from './common-passwords.ts';

/** Password length bounds, in Unicode code points (NIST SP 800-63B: at least 8; we ask 10). */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;
// A local part shorter than this ("al@…") would forbid too many innocent passwords.
const MIN_LOCAL_PART_CHECKED = 3;

/** Why a password is refused, or undefined when it is acceptable for this email. */
export function passwordProblem(password: string, email: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return `The password must be at least ${PASSWORD_MIN_LENGTH} characters long (it has ${length}); a few unrelated words make a long password that is easy to remember.`;
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return `The password must be at most ${PASSWORD_MAX_LENGTH} characters long (it has ${length}).`;
  }
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) {
    return 'The password is one of the most commonly used passwords and would be guessed quickly; choose another.';
  }
  const localPart = email.trim().toLowerCase().split('@')[0] ?? '';
  if (localPart.length >= MIN_LOCAL_PART_CHECKED && lower.includes(localPart)) {
    return 'The password must not contain the first part of your email address; choose another.';
  }
  return undefined;
}

/** Throw WEAK_PASSWORD naming the rule the password breaks. */
export function assertStrongPassword(password: string, email: string): void {
  const problem = passwordProblem(password, email);
  if (problem !== undefined) throw errors.WEAK_PASSWORD(problem);
}
