-- default: upgrade

CREATE TABLE adk_sessions (
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (app_name, user_id, id)
)
 WITH (fillfactor = 80);

CREATE INDEX ix_adk_sessions_listing ON adk_sessions (app_name, user_id, update_time, id);

CREATE INDEX ix_adk_sessions_state_gin ON adk_sessions USING gin (state) WHERE state <> '{}'::jsonb;

CREATE TABLE adk_events (
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    event_data JSONB NOT NULL, 
    content JSONB, 
    grounding_metadata JSONB, 
    custom_metadata JSONB, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (app_name, user_id, session_id, id), 
    CONSTRAINT fk_adk_events_session FOREIGN KEY(app_name, user_id, session_id) REFERENCES adk_sessions (app_name, user_id, id) ON DELETE CASCADE
);

CREATE INDEX ix_adk_events_recent ON adk_events (app_name, user_id, session_id, timestamp, id);

CREATE TABLE adk_app_states (
    app_name VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (app_name)
)
 WITH (fillfactor = 80);

CREATE TABLE adk_user_states (
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (app_name, user_id)
)
 WITH (fillfactor = 80);

-- default: downgrade

DROP TABLE adk_user_states;

DROP TABLE adk_app_states;

DROP INDEX ix_adk_events_recent;

DROP TABLE adk_events;

DROP INDEX ix_adk_sessions_state_gin;

DROP INDEX ix_adk_sessions_listing;

DROP TABLE adk_sessions;

-- owner-string-cascade: upgrade

CREATE TABLE t_sessions (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_id, app_name, user_id, id), 
    CONSTRAINT fk_t_sessions_owner FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
)
 WITH (fillfactor = 80);

CREATE INDEX ix_t_sessions_listing ON t_sessions (tenant_id, app_name, user_id, update_time, id);

CREATE INDEX ix_t_sessions_state_gin ON t_sessions USING gin (state) WHERE state <> '{}'::jsonb;

CREATE TABLE t_events (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    event_data JSONB NOT NULL, 
    content JSONB, 
    grounding_metadata JSONB, 
    custom_metadata JSONB, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (tenant_id, app_name, user_id, session_id, id), 
    CONSTRAINT fk_t_events_session FOREIGN KEY(tenant_id, app_name, user_id, session_id) REFERENCES t_sessions (tenant_id, app_name, user_id, id) ON DELETE CASCADE
);

CREATE INDEX ix_t_events_recent ON t_events (tenant_id, app_name, user_id, session_id, timestamp, id);

CREATE TABLE t_app_states (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_id, app_name), 
    CONSTRAINT fk_t_app_states_owner FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
)
 WITH (fillfactor = 80);

CREATE TABLE t_user_states (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_id, app_name, user_id), 
    CONSTRAINT fk_t_user_states_owner FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
)
 WITH (fillfactor = 80);

-- owner-string-cascade: downgrade

DROP TABLE t_user_states;

DROP TABLE t_app_states;

DROP INDEX ix_t_events_recent;

DROP TABLE t_events;

DROP INDEX ix_t_sessions_state_gin;

DROP INDEX ix_t_sessions_listing;

DROP TABLE t_sessions;

-- owner-integer-restrict: upgrade

CREATE TABLE crm_sessions (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (org_id, app_name, user_id, id), 
    CONSTRAINT fk_crm_sessions_owner FOREIGN KEY(org_id) REFERENCES billing.orgs (id) ON DELETE RESTRICT
)
 WITH (fillfactor = 80);

CREATE INDEX ix_crm_sessions_listing ON crm_sessions (org_id, app_name, user_id, update_time, id);

CREATE INDEX ix_crm_sessions_state_gin ON crm_sessions USING gin (state) WHERE state <> '{}'::jsonb;

CREATE TABLE crm_events (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    event_data JSONB NOT NULL, 
    content JSONB, 
    grounding_metadata JSONB, 
    custom_metadata JSONB, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (org_id, app_name, user_id, session_id, id), 
    CONSTRAINT fk_crm_events_session FOREIGN KEY(org_id, app_name, user_id, session_id) REFERENCES crm_sessions (org_id, app_name, user_id, id) ON DELETE CASCADE
);

CREATE INDEX ix_crm_events_recent ON crm_events (org_id, app_name, user_id, session_id, timestamp, id);

CREATE TABLE crm_app_states (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (org_id, app_name), 
    CONSTRAINT fk_crm_app_states_owner FOREIGN KEY(org_id) REFERENCES billing.orgs (id) ON DELETE RESTRICT
)
 WITH (fillfactor = 80);

CREATE TABLE crm_user_states (
    org_id INTEGER NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (org_id, app_name, user_id), 
    CONSTRAINT fk_crm_user_states_owner FOREIGN KEY(org_id) REFERENCES billing.orgs (id) ON DELETE RESTRICT
)
 WITH (fillfactor = 80);

-- owner-integer-restrict: downgrade

DROP TABLE crm_user_states;

DROP TABLE crm_app_states;

DROP INDEX ix_crm_events_recent;

DROP TABLE crm_events;

DROP INDEX ix_crm_sessions_state_gin;

DROP INDEX ix_crm_sessions_listing;

DROP TABLE crm_sessions;

-- owner-bigint-no-reference: upgrade

CREATE TABLE adk_sessions (
    shard BIGINT NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (shard, app_name, user_id, id)
)
 WITH (fillfactor = 80);

CREATE INDEX ix_adk_sessions_listing ON adk_sessions (shard, app_name, user_id, update_time, id);

CREATE INDEX ix_adk_sessions_state_gin ON adk_sessions USING gin (state) WHERE state <> '{}'::jsonb;

CREATE TABLE adk_events (
    shard BIGINT NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    event_data JSONB NOT NULL, 
    content JSONB, 
    grounding_metadata JSONB, 
    custom_metadata JSONB, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (shard, app_name, user_id, session_id, id), 
    CONSTRAINT fk_adk_events_session FOREIGN KEY(shard, app_name, user_id, session_id) REFERENCES adk_sessions (shard, app_name, user_id, id) ON DELETE CASCADE
);

CREATE INDEX ix_adk_events_recent ON adk_events (shard, app_name, user_id, session_id, timestamp, id);

CREATE TABLE adk_app_states (
    shard BIGINT NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (shard, app_name)
)
 WITH (fillfactor = 80);

CREATE TABLE adk_user_states (
    shard BIGINT NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (shard, app_name, user_id)
)
 WITH (fillfactor = 80);

-- owner-bigint-no-reference: downgrade

DROP TABLE adk_user_states;

DROP TABLE adk_app_states;

DROP INDEX ix_adk_events_recent;

DROP TABLE adk_events;

DROP INDEX ix_adk_sessions_state_gin;

DROP INDEX ix_adk_sessions_listing;

DROP TABLE adk_sessions;

-- owner-uuid-no-action: upgrade

CREATE TABLE adk_sessions (
    tenant_uuid UUID NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_uuid, app_name, user_id, id), 
    CONSTRAINT fk_adk_sessions_owner FOREIGN KEY(tenant_uuid) REFERENCES tenants (uuid) ON DELETE NO ACTION
)
 WITH (fillfactor = 80);

CREATE INDEX ix_adk_sessions_listing ON adk_sessions (tenant_uuid, app_name, user_id, update_time, id);

CREATE INDEX ix_adk_sessions_state_gin ON adk_sessions USING gin (state) WHERE state <> '{}'::jsonb;

CREATE TABLE adk_events (
    tenant_uuid UUID NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    event_data JSONB NOT NULL, 
    content JSONB, 
    grounding_metadata JSONB, 
    custom_metadata JSONB, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (tenant_uuid, app_name, user_id, session_id, id), 
    CONSTRAINT fk_adk_events_session FOREIGN KEY(tenant_uuid, app_name, user_id, session_id) REFERENCES adk_sessions (tenant_uuid, app_name, user_id, id) ON DELETE CASCADE
);

CREATE INDEX ix_adk_events_recent ON adk_events (tenant_uuid, app_name, user_id, session_id, timestamp, id);

CREATE TABLE adk_app_states (
    tenant_uuid UUID NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_uuid, app_name), 
    CONSTRAINT fk_adk_app_states_owner FOREIGN KEY(tenant_uuid) REFERENCES tenants (uuid) ON DELETE NO ACTION
)
 WITH (fillfactor = 80);

CREATE TABLE adk_user_states (
    tenant_uuid UUID NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_uuid, app_name, user_id), 
    CONSTRAINT fk_adk_user_states_owner FOREIGN KEY(tenant_uuid) REFERENCES tenants (uuid) ON DELETE NO ACTION
)
 WITH (fillfactor = 80);

-- owner-uuid-no-action: downgrade

DROP TABLE adk_user_states;

DROP TABLE adk_app_states;

DROP INDEX ix_adk_events_recent;

DROP TABLE adk_events;

DROP INDEX ix_adk_sessions_state_gin;

DROP INDEX ix_adk_sessions_listing;

DROP TABLE adk_sessions;

-- schema-owner-string: upgrade

CREATE TABLE agents.s_sessions (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    revision BIGINT NOT NULL, 
    create_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_id, app_name, user_id, id), 
    CONSTRAINT fk_s_sessions_owner FOREIGN KEY(tenant_id) REFERENCES agents.tenants (id) ON DELETE CASCADE
)
 WITH (fillfactor = 80);

CREATE INDEX ix_s_sessions_listing ON agents.s_sessions (tenant_id, app_name, user_id, update_time, id);

CREATE INDEX ix_s_sessions_state_gin ON agents.s_sessions USING gin (state) WHERE state <> '{}'::jsonb;

CREATE TABLE agents.s_events (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    session_id VARCHAR(128) NOT NULL, 
    id VARCHAR(128) NOT NULL, 
    invocation_id VARCHAR(256), 
    author VARCHAR(256) NOT NULL, 
    branch VARCHAR(1024), 
    timestamp TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    event_data JSONB NOT NULL, 
    content JSONB, 
    grounding_metadata JSONB, 
    custom_metadata JSONB, 
    partial BOOLEAN, 
    turn_complete BOOLEAN, 
    interrupted BOOLEAN, 
    error_code VARCHAR(256), 
    error_message TEXT, 
    PRIMARY KEY (tenant_id, app_name, user_id, session_id, id), 
    CONSTRAINT fk_s_events_session FOREIGN KEY(tenant_id, app_name, user_id, session_id) REFERENCES agents.s_sessions (tenant_id, app_name, user_id, id) ON DELETE CASCADE
);

CREATE INDEX ix_s_events_recent ON agents.s_events (tenant_id, app_name, user_id, session_id, timestamp, id);

CREATE TABLE agents.s_app_states (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_id, app_name), 
    CONSTRAINT fk_s_app_states_owner FOREIGN KEY(tenant_id) REFERENCES agents.tenants (id) ON DELETE CASCADE
)
 WITH (fillfactor = 80);

CREATE TABLE agents.s_user_states (
    tenant_id VARCHAR(128) NOT NULL, 
    app_name VARCHAR(128) NOT NULL, 
    user_id VARCHAR(128) NOT NULL, 
    state JSONB NOT NULL, 
    update_time TIMESTAMP(6) WITH TIME ZONE NOT NULL, 
    PRIMARY KEY (tenant_id, app_name, user_id), 
    CONSTRAINT fk_s_user_states_owner FOREIGN KEY(tenant_id) REFERENCES agents.tenants (id) ON DELETE CASCADE
)
 WITH (fillfactor = 80);

-- schema-owner-string: downgrade

DROP TABLE agents.s_user_states;

DROP TABLE agents.s_app_states;

DROP INDEX agents.ix_s_events_recent;

DROP TABLE agents.s_events;

DROP INDEX agents.ix_s_sessions_state_gin;

DROP INDEX agents.ix_s_sessions_listing;

DROP TABLE agents.s_sessions;

