CREATE TABLE `blocks` (
	`chain_id` integer NOT NULL,
	`number` integer NOT NULL,
	`hash` text NOT NULL,
	`parent_hash` text NOT NULL,
	`timestamp` integer NOT NULL,
	`rpc` text NOT NULL,
	PRIMARY KEY(`chain_id`, `number`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `blocks_chain_hash` ON `blocks` (`chain_id`,`hash`);--> statement-breakpoint
CREATE TABLE `index_cursor` (
	`chain_id` integer PRIMARY KEY NOT NULL,
	`head` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `logs` (
	`chain_id` integer NOT NULL,
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`tx_index` integer NOT NULL,
	`tx_hash` text NOT NULL,
	`block_hash` text NOT NULL,
	`address` text NOT NULL,
	`topic0` text,
	`topic1` text,
	`topic2` text,
	`topic3` text,
	`data` text NOT NULL,
	PRIMARY KEY(`chain_id`, `block_number`, `log_index`)
);
--> statement-breakpoint
CREATE INDEX `logs_chain_address_block` ON `logs` (`chain_id`,`address`,`block_number`,`log_index`);--> statement-breakpoint
CREATE INDEX `logs_chain_topic0_block` ON `logs` (`chain_id`,`topic0`,`block_number`,`log_index`);--> statement-breakpoint
CREATE INDEX `logs_chain_topic1_block` ON `logs` (`chain_id`,`topic1`,`block_number`,`log_index`);--> statement-breakpoint
CREATE INDEX `logs_chain_topic2_block` ON `logs` (`chain_id`,`topic2`,`block_number`,`log_index`);--> statement-breakpoint
CREATE INDEX `logs_chain_topic3_block` ON `logs` (`chain_id`,`topic3`,`block_number`,`log_index`);--> statement-breakpoint
CREATE INDEX `logs_chain_block_hash` ON `logs` (`chain_id`,`block_hash`);--> statement-breakpoint
CREATE TABLE `transactions` (
	`chain_id` integer NOT NULL,
	`hash` text NOT NULL,
	`block_number` integer NOT NULL,
	`tx_index` integer NOT NULL,
	`from` text NOT NULL,
	`to` text,
	`rpc` text NOT NULL,
	`receipt` text NOT NULL,
	PRIMARY KEY(`chain_id`, `hash`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `transactions_chain_block_index` ON `transactions` (`chain_id`,`block_number`,`tx_index`);