// The shell as a library (used by tests and by anyone scripting it in-process).
export * from './context.ts';
export * from './commands.ts';
export * from './run_shell.ts';
export * from './session.ts';
export * from './table_printer.ts';
export * from './node_list.ts';
export * from './recover_report.ts';
