-- default: upgrade

CREATE TABLE adk_sessions (
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    id VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    revision NUMBER(19) NOT NULL, 
    create_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (app_name, user_id, id)
)

/

CREATE INDEX ix_adk_sessions_listing ON adk_sessions (app_name, user_id, update_time, id)

/

CREATE TABLE adk_events (
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    session_id VARCHAR2(128 CHAR) NOT NULL, 
    id VARCHAR2(128 CHAR) NOT NULL, 
    invocation_id VARCHAR2(256 CHAR), 
    author VARCHAR2(256 CHAR) NOT NULL, 
    branch VARCHAR2(1024 CHAR), 
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL, 
    event_data JSON NOT NULL, 
    content JSON, 
    grounding_metadata JSON, 
    custom_metadata JSON, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR2(256 CHAR), 
    error_message CLOB, 
    PRIMARY KEY (app_name, user_id, session_id, id), 
    CONSTRAINT fk_adk_events_session FOREIGN KEY(app_name, user_id, session_id) REFERENCES adk_sessions (app_name, user_id, id) ON DELETE CASCADE
)

/

CREATE INDEX ix_adk_events_recent ON adk_events (app_name, user_id, session_id, timestamp, id)

/

CREATE TABLE adk_app_states (
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (app_name)
)

/

CREATE TABLE adk_user_states (
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (app_name, user_id)
)

/

-- default: downgrade

DROP TABLE adk_user_states

/

DROP TABLE adk_app_states

/

DROP INDEX ix_adk_events_recent

/

DROP TABLE adk_events

/

DROP INDEX ix_adk_sessions_listing

/

DROP TABLE adk_sessions

/

-- owner-string-cascade: upgrade

CREATE TABLE t_sessions (
    tenant_id VARCHAR2(128 CHAR) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    id VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    revision NUMBER(19) NOT NULL, 
    create_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_id, app_name, user_id, id), 
    CONSTRAINT fk_t_sessions_owner FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
)

/

CREATE INDEX ix_t_sessions_listing ON t_sessions (tenant_id, app_name, user_id, update_time, id)

/

CREATE TABLE t_events (
    tenant_id VARCHAR2(128 CHAR) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    session_id VARCHAR2(128 CHAR) NOT NULL, 
    id VARCHAR2(128 CHAR) NOT NULL, 
    invocation_id VARCHAR2(256 CHAR), 
    author VARCHAR2(256 CHAR) NOT NULL, 
    branch VARCHAR2(1024 CHAR), 
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL, 
    event_data JSON NOT NULL, 
    content JSON, 
    grounding_metadata JSON, 
    custom_metadata JSON, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR2(256 CHAR), 
    error_message CLOB, 
    PRIMARY KEY (tenant_id, app_name, user_id, session_id, id), 
    CONSTRAINT fk_t_events_session FOREIGN KEY(tenant_id, app_name, user_id, session_id) REFERENCES t_sessions (tenant_id, app_name, user_id, id) ON DELETE CASCADE
)

/

CREATE INDEX ix_t_events_recent ON t_events (tenant_id, app_name, user_id, session_id, timestamp, id)

/

CREATE TABLE t_app_states (
    tenant_id VARCHAR2(128 CHAR) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_id, app_name), 
    CONSTRAINT fk_t_app_states_owner FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
)

/

CREATE TABLE t_user_states (
    tenant_id VARCHAR2(128 CHAR) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_id, app_name, user_id), 
    CONSTRAINT fk_t_user_states_owner FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
)

/

-- owner-string-cascade: downgrade

DROP TABLE t_user_states

/

DROP TABLE t_app_states

/

DROP INDEX ix_t_events_recent

/

DROP TABLE t_events

/

DROP INDEX ix_t_sessions_listing

/

DROP TABLE t_sessions

/

-- owner-integer-restrict: upgrade

CREATE TABLE crm_sessions (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    id VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    revision NUMBER(19) NOT NULL, 
    create_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (org_id, app_name, user_id, id), 
    CONSTRAINT fk_crm_sessions_owner FOREIGN KEY(org_id) REFERENCES billing.orgs (id) ON DELETE RESTRICT
)

/

CREATE INDEX ix_crm_sessions_listing ON crm_sessions (org_id, app_name, user_id, update_time, id)

/

CREATE TABLE crm_events (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    session_id VARCHAR2(128 CHAR) NOT NULL, 
    id VARCHAR2(128 CHAR) NOT NULL, 
    invocation_id VARCHAR2(256 CHAR), 
    author VARCHAR2(256 CHAR) NOT NULL, 
    branch VARCHAR2(1024 CHAR), 
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL, 
    event_data JSON NOT NULL, 
    content JSON, 
    grounding_metadata JSON, 
    custom_metadata JSON, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR2(256 CHAR), 
    error_message CLOB, 
    PRIMARY KEY (org_id, app_name, user_id, session_id, id), 
    CONSTRAINT fk_crm_events_session FOREIGN KEY(org_id, app_name, user_id, session_id) REFERENCES crm_sessions (org_id, app_name, user_id, id) ON DELETE CASCADE
)

/

CREATE INDEX ix_crm_events_recent ON crm_events (org_id, app_name, user_id, session_id, timestamp, id)

/

CREATE TABLE crm_app_states (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (org_id, app_name), 
    CONSTRAINT fk_crm_app_states_owner FOREIGN KEY(org_id) REFERENCES billing.orgs (id) ON DELETE RESTRICT
)

/

CREATE TABLE crm_user_states (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (org_id, app_name, user_id), 
    CONSTRAINT fk_crm_user_states_owner FOREIGN KEY(org_id) REFERENCES billing.orgs (id) ON DELETE RESTRICT
)

/

-- owner-integer-restrict: downgrade

DROP TABLE crm_user_states

/

DROP TABLE crm_app_states

/

DROP INDEX ix_crm_events_recent

/

DROP TABLE crm_events

/

DROP INDEX ix_crm_sessions_listing

/

DROP TABLE crm_sessions

/

-- owner-bigint-no-reference: upgrade

CREATE TABLE adk_sessions (
    shard NUMBER(19) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    id VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    revision NUMBER(19) NOT NULL, 
    create_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (shard, app_name, user_id, id)
)

/

CREATE INDEX ix_adk_sessions_listing ON adk_sessions (shard, app_name, user_id, update_time, id)

/

CREATE TABLE adk_events (
    shard NUMBER(19) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    session_id VARCHAR2(128 CHAR) NOT NULL, 
    id VARCHAR2(128 CHAR) NOT NULL, 
    invocation_id VARCHAR2(256 CHAR), 
    author VARCHAR2(256 CHAR) NOT NULL, 
    branch VARCHAR2(1024 CHAR), 
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL, 
    event_data JSON NOT NULL, 
    content JSON, 
    grounding_metadata JSON, 
    custom_metadata JSON, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR2(256 CHAR), 
    error_message CLOB, 
    PRIMARY KEY (shard, app_name, user_id, session_id, id), 
    CONSTRAINT fk_adk_events_session FOREIGN KEY(shard, app_name, user_id, session_id) REFERENCES adk_sessions (shard, app_name, user_id, id) ON DELETE CASCADE
)

/

CREATE INDEX ix_adk_events_recent ON adk_events (shard, app_name, user_id, session_id, timestamp, id)

/

CREATE TABLE adk_app_states (
    shard NUMBER(19) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (shard, app_name)
)

/

CREATE TABLE adk_user_states (
    shard NUMBER(19) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (shard, app_name, user_id)
)

/

-- owner-bigint-no-reference: downgrade

DROP TABLE adk_user_states

/

DROP TABLE adk_app_states

/

DROP INDEX ix_adk_events_recent

/

DROP TABLE adk_events

/

DROP INDEX ix_adk_sessions_listing

/

DROP TABLE adk_sessions

/

-- owner-uuid-no-action: upgrade

CREATE TABLE adk_sessions (
    tenant_uuid CHAR(32) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    id VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    revision NUMBER(19) NOT NULL, 
    create_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_uuid, app_name, user_id, id), 
    CONSTRAINT fk_adk_sessions_owner FOREIGN KEY(tenant_uuid) REFERENCES tenants (uuid) ON DELETE NO ACTION
)

/

CREATE INDEX ix_adk_sessions_listing ON adk_sessions (tenant_uuid, app_name, user_id, update_time, id)

/

CREATE TABLE adk_events (
    tenant_uuid CHAR(32) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    session_id VARCHAR2(128 CHAR) NOT NULL, 
    id VARCHAR2(128 CHAR) NOT NULL, 
    invocation_id VARCHAR2(256 CHAR), 
    author VARCHAR2(256 CHAR) NOT NULL, 
    branch VARCHAR2(1024 CHAR), 
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL, 
    event_data JSON NOT NULL, 
    content JSON, 
    grounding_metadata JSON, 
    custom_metadata JSON, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR2(256 CHAR), 
    error_message CLOB, 
    PRIMARY KEY (tenant_uuid, app_name, user_id, session_id, id), 
    CONSTRAINT fk_adk_events_session FOREIGN KEY(tenant_uuid, app_name, user_id, session_id) REFERENCES adk_sessions (tenant_uuid, app_name, user_id, id) ON DELETE CASCADE
)

/

CREATE INDEX ix_adk_events_recent ON adk_events (tenant_uuid, app_name, user_id, session_id, timestamp, id)

/

CREATE TABLE adk_app_states (
    tenant_uuid CHAR(32) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_uuid, app_name), 
    CONSTRAINT fk_adk_app_states_owner FOREIGN KEY(tenant_uuid) REFERENCES tenants (uuid) ON DELETE NO ACTION
)

/

CREATE TABLE adk_user_states (
    tenant_uuid CHAR(32) NOT NULL, 
    app_name VARCHAR2(128 CHAR) NOT NULL, 
    user_id VARCHAR2(128 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    update_time TIMESTAMP WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_uuid, app_name, user_id), 
    CONSTRAINT fk_adk_user_states_owner FOREIGN KEY(tenant_uuid) REFERENCES tenants (uuid) ON DELETE NO ACTION
)

/

-- owner-uuid-no-action: downgrade

DROP TABLE adk_user_states

/

DROP TABLE adk_app_states

/

DROP INDEX ix_adk_events_recent

/

DROP TABLE adk_events

/

DROP INDEX ix_adk_sessions_listing

/

DROP TABLE adk_sessions

/

