/* cmd.h -- the tillgate subcommands: one entry point per command, called
 * from main.c with argv[0] = the command's name. Each returns the process
 * exit status: 0 success, 1 failure of the work (invalid input, nothing
 * found), 2 usage error. */
#ifndef GW_CMD_H
#define GW_CMD_H

int cmd_qr(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_dfsp(int argc, char **argv);
int cmd_apikey(int argc, char **argv);
int cmd_routes(int argc, char **argv); /* hidden: the daemon's route table */
int cmd_phone(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_stmt(int argc, char **argv);

#endif /* GW_CMD_H */
