/*
 * opcount_cli.h - the subcommands of the opcount tool, one file each.
 */
#ifndef OPC_CLI_H
#define OPC_CLI_H

int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);

#endif
