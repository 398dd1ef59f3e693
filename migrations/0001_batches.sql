CREATE TABLE `batches` (
	`chain_id` integer NOT NULL,
	`first_block` integer NOT NULL,
	`last_block` integer NOT NULL,
	`l1_tx` text NOT NULL,
	`l1_block` integer NOT NULL,
	`bytes` integer NOT NULL,
	PRIMARY KEY(`chain_id`, `first_block`)
);
--> statement-breakpoint
CREATE INDEX `batches_chain_last` ON `batches` (`chain_id`,`last_block`);