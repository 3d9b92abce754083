// Pegasus-style error codes, in one table: name, meaning, whether it is definite (the operation
// surely did not happen), and what an operator or caller should do next.
// Names follow Pegasus's src/utils/error_code.h so a port can grep for them. A code is added only
// when some caller must react to it differently (see docs/style.md, "Errors").

export const ERROR_TABLE = {
  ERR_OK: { definite: false, meaning: 'success', next: '' },
  ERR_UNKNOWN: { definite: false, meaning: 'an unexpected failure', next: 'check the server log' },
  ERR_TIMEOUT: { definite: false, meaning: 'no answer before the deadline', next: 'retry; the operation may or may not have happened' },
  ERR_NETWORK_FAILURE: { definite: true, meaning: 'the server could not be reached', next: 'check that the process is running and the address is right' },
  ERR_HANDLER_NOT_FOUND: { definite: true, meaning: 'the server does not serve this RPC (wrong kind of server?)', next: 'check that the address belongs to the right role' },
  ERR_INVALID_PARAMETERS: { definite: true, meaning: 'the request is malformed', next: 'fix the request' },
  ERR_ADDRESS_ALREADY_USED: { definite: true, meaning: 'the listen port is taken', next: 'stop the other process or change the port' },
  ERR_UNDER_RECOVERY: { definite: true, meaning: 'the meta server is in metadata-recovery mode and only serves start_recovery', next: 'run the shell command `recover`' },
  ERR_SERVICE_NOT_ACTIVE: { definite: true, meaning: 'the meta server has not started serving yet', next: 'retry shortly' },
  ERR_SERVICE_ALREADY_RUNNING: { definite: true, meaning: 'the meta server already serves (recovery is done or not needed)', next: 'nothing to do' },
  ERR_FORWARD_TO_OTHERS: { definite: true, meaning: 'this meta server is not the leader', next: 'ask the leader named in the answer' },
  ERR_TRY_AGAIN: { definite: true, meaning: 'the request cannot complete now; the reply says why', next: 'fix what the hint names, or use the skip option it suggests, and retry' },
  ERR_BUSY: { definite: true, meaning: 'the server is busy with a conflicting operation', next: 'retry shortly' },
  ERR_APP_EXIST: { definite: true, meaning: 'a table with this name exists', next: 'choose another name' },
  ERR_APP_NOT_EXIST: { definite: true, meaning: 'no such table', next: 'check the name with `ls`' },
  ERR_APP_DROPPED: { definite: true, meaning: 'the table has been dropped', next: 'recall it or use another table' },
  ERR_BUSY_CREATING: { definite: true, meaning: 'the table is being created', next: 'retry shortly' },
  ERR_BUSY_DROPPING: { definite: true, meaning: 'the table is being dropped', next: 'retry shortly' },
  ERR_OBJECT_NOT_FOUND: { definite: true, meaning: 'the object does not exist', next: '' },
  ERR_INVALID_STATE: { definite: true, meaning: 'the replica is not in a state to serve this (not primary?)', next: 'refresh the partition configuration and retry' },
  ERR_INACTIVE_STATE: { definite: true, meaning: 'the replica is inactive', next: 'wait for the meta server to assign it' },
  ERR_INVALID_VERSION: { definite: true, meaning: 'the ballot in the request is stale', next: 'refresh the partition configuration and retry' },
  ERR_NOT_ENOUGH_MEMBER: { definite: false, meaning: 'a replica of the group did not acknowledge', next: 'retry; the write may or may not be applied' },
  ERR_INCONSISTENT_STATE: { definite: true, meaning: 'metadata and replica data disagree', next: 'read the message; do not force anything before you understand it' },
  ERR_INVALID_DATA: { definite: true, meaning: 'stored data could not be decoded', next: 'check the named file or znode' },
  ERR_LEARN_FAILED: { definite: true, meaning: 'a learner could not catch up with its primary', next: 'the meta server retries automatically' },
} as const satisfies Record<string, { definite: boolean; meaning: string; next: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(ERROR_TABLE, s);
}
