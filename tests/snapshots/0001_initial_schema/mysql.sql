-- default: upgrade

CREATE TABLE adk_sessions (
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time DATETIME(6) NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (app_name, user_id, id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX ix_adk_sessions_listing ON adk_sessions (app_name, user_id, update_time, id);

CREATE TABLE adk_events (
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp DATETIME(6) NOT NULL, 
    event_data JSON NOT NULL, 
    content JSON, 
    grounding_metadata JSON, 
    custom_metadata JSON, 
    partial BOOL, 
    turn_complete BOOL, 
    interrupted BOOL, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (app_name, user_id, session_id, id), 
    CONSTRAINT fk_adk_events_session FOREIGN KEY(app_name, user_id, session_id) REFERENCES adk_sessions (app_name, user_id, id) ON DELETE CASCADE
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX ix_adk_events_recent ON adk_events (app_name, user_id, session_id, timestamp, id);

CREATE TABLE adk_app_states (
    app_name VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (app_name)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE TABLE adk_user_states (
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (app_name, user_id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

-- default: downgrade

DROP TABLE adk_user_states;

DROP TABLE adk_app_states;

DROP INDEX ix_adk_events_recent ON adk_events;

DROP TABLE adk_events;

DROP INDEX ix_adk_sessions_listing ON adk_sessions;

DROP TABLE adk_sessions;

-- owner-string-cascade: upgrade

CREATE TABLE t_sessions (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time DATETIME(6) NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (tenant_id, app_name, user_id, id), 
    CONSTRAINT fk_t_sessions_owner FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX ix_t_sessions_listing ON t_sessions (tenant_id, app_name, user_id, update_time, id);

CREATE TABLE t_events (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp DATETIME(6) NOT NULL, 
    event_data JSON NOT NULL, 
    content JSON, 
    grounding_metadata JSON, 
    custom_metadata JSON, 
    partial BOOL, 
    turn_complete BOOL, 
    interrupted BOOL, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (tenant_id, app_name, user_id, session_id, id), 
    CONSTRAINT fk_t_events_session FOREIGN KEY(tenant_id, app_name, user_id, session_id) REFERENCES t_sessions (tenant_id, app_name, user_id, id) ON DELETE CASCADE
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX ix_t_events_recent ON t_events (tenant_id, app_name, user_id, session_id, timestamp, id);

CREATE TABLE t_app_states (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (tenant_id, app_name), 
    CONSTRAINT fk_t_app_states_owner FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE TABLE t_user_states (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (tenant_id, app_name, user_id), 
    CONSTRAINT fk_t_user_states_owner FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

-- owner-string-cascade: downgrade

DROP TABLE t_user_states;

DROP TABLE t_app_states;

DROP INDEX ix_t_events_recent ON t_events;

DROP TABLE t_events;

DROP INDEX ix_t_sessions_listing ON t_sessions;

DROP TABLE t_sessions;

-- owner-integer-restrict: upgrade

CREATE TABLE crm_sessions (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time DATETIME(6) NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (org_id, app_name, user_id, id), 
    CONSTRAINT fk_crm_sessions_owner FOREIGN KEY(org_id) REFERENCES billing.orgs (id) ON DELETE RESTRICT
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX ix_crm_sessions_listing ON crm_sessions (org_id, app_name, user_id, update_time, id);

CREATE TABLE crm_events (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp DATETIME(6) NOT NULL, 
    event_data JSON NOT NULL, 
    content JSON, 
    grounding_metadata JSON, 
    custom_metadata JSON, 
    partial BOOL, 
    turn_complete BOOL, 
    interrupted BOOL, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (org_id, app_name, user_id, session_id, id), 
    CONSTRAINT fk_crm_events_session FOREIGN KEY(org_id, app_name, user_id, session_id) REFERENCES crm_sessions (org_id, app_name, user_id, id) ON DELETE CASCADE
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX ix_crm_events_recent ON crm_events (org_id, app_name, user_id, session_id, timestamp, id);

CREATE TABLE crm_app_states (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (org_id, app_name), 
    CONSTRAINT fk_crm_app_states_owner FOREIGN KEY(org_id) REFERENCES billing.orgs (id) ON DELETE RESTRICT
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE TABLE crm_user_states (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (org_id, app_name, user_id), 
    CONSTRAINT fk_crm_user_states_owner FOREIGN KEY(org_id) REFERENCES billing.orgs (id) ON DELETE RESTRICT
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

-- owner-integer-restrict: downgrade

DROP TABLE crm_user_states;

DROP TABLE crm_app_states;

DROP INDEX ix_crm_events_recent ON crm_events;

DROP TABLE crm_events;

DROP INDEX ix_crm_sessions_listing ON crm_sessions;

DROP TABLE crm_sessions;

-- owner-bigint-no-reference: upgrade

CREATE TABLE adk_sessions (
    shard BIGINT NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time DATETIME(6) NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (shard, app_name, user_id, id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX ix_adk_sessions_listing ON adk_sessions (shard, app_name, user_id, update_time, id);

CREATE TABLE adk_events (
    shard BIGINT NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp DATETIME(6) NOT NULL, 
    event_data JSON NOT NULL, 
    content JSON, 
    grounding_metadata JSON, 
    custom_metadata JSON, 
    partial BOOL, 
    turn_complete BOOL, 
    interrupted BOOL, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (shard, app_name, user_id, session_id, id), 
    CONSTRAINT fk_adk_events_session FOREIGN KEY(shard, app_name, user_id, session_id) REFERENCES adk_sessions (shard, app_name, user_id, id) ON DELETE CASCADE
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX ix_adk_events_recent ON adk_events (shard, app_name, user_id, session_id, timestamp, id);

CREATE TABLE adk_app_states (
    shard BIGINT NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (shard, app_name)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE TABLE adk_user_states (
    shard BIGINT NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (shard, app_name, user_id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

-- owner-bigint-no-reference: downgrade

DROP TABLE adk_user_states;

DROP TABLE adk_app_states;

DROP INDEX ix_adk_events_recent ON adk_events;

DROP TABLE adk_events;

DROP INDEX ix_adk_sessions_listing ON adk_sessions;

DROP TABLE adk_sessions;

-- owner-uuid-no-action: upgrade

CREATE TABLE adk_sessions (
    tenant_uuid CHAR(32) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time DATETIME(6) NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (tenant_uuid, app_name, user_id, id), 
    CONSTRAINT fk_adk_sessions_owner FOREIGN KEY(tenant_uuid) REFERENCES tenants (uuid) ON DELETE NO ACTION
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX ix_adk_sessions_listing ON adk_sessions (tenant_uuid, app_name, user_id, update_time, id);

CREATE TABLE adk_events (
    tenant_uuid CHAR(32) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp DATETIME(6) NOT NULL, 
    event_data JSON NOT NULL, 
    content JSON, 
    grounding_metadata JSON, 
    custom_metadata JSON, 
    partial BOOL, 
    turn_complete BOOL, 
    interrupted BOOL, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (tenant_uuid, app_name, user_id, session_id, id), 
    CONSTRAINT fk_adk_events_session FOREIGN KEY(tenant_uuid, app_name, user_id, session_id) REFERENCES adk_sessions (tenant_uuid, app_name, user_id, id) ON DELETE CASCADE
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE INDEX ix_adk_events_recent ON adk_events (tenant_uuid, app_name, user_id, session_id, timestamp, id);

CREATE TABLE adk_app_states (
    tenant_uuid CHAR(32) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (tenant_uuid, app_name), 
    CONSTRAINT fk_adk_app_states_owner FOREIGN KEY(tenant_uuid) REFERENCES tenants (uuid) ON DELETE NO ACTION
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE TABLE adk_user_states (
    tenant_uuid CHAR(32) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSON NOT NULL, 
    update_time DATETIME(6) NOT NULL, 
    PRIMARY KEY (tenant_uuid, app_name, user_id), 
    CONSTRAINT fk_adk_user_states_owner FOREIGN KEY(tenant_uuid) REFERENCES tenants (uuid) ON DELETE NO ACTION
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_bin;

-- owner-uuid-no-action: downgrade

DROP TABLE adk_user_states;

DROP TABLE adk_app_states;

DROP INDEX ix_adk_events_recent ON adk_events;

DROP TABLE adk_events;

DROP INDEX ix_adk_sessions_listing ON adk_sessions;

DROP TABLE adk_sessions;

