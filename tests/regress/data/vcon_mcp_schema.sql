-- vcon-mcp's vCon tables (vcon-dev/vcon-mcp supabase/migrations, net state) in
-- schema mcp, for the attach test. Its triggers (tenant cascade, tsvector maintenance, embedding
-- queue, deprecated-field sync), RLS and search functions are left out; the tsvector columns are
-- kept as plain columns. Not part of the extension.
CREATE SCHEMA mcp;

CREATE TABLE mcp.vcons (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    uuid UUID UNIQUE NOT NULL,
    vcon_version VARCHAR(10) NOT NULL DEFAULT '0.3.0',
    subject TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    basename TEXT,
    filename TEXT,
    done BOOLEAN DEFAULT false,
    corrupt BOOLEAN DEFAULT false,
    processed_by TEXT,
    privacy_processed JSONB DEFAULT '{}',
    redaction_rules JSONB DEFAULT '{}',
    redacted JSONB DEFAULT '{}',
    appended JSONB DEFAULT '{}',
    group_data JSONB DEFAULT '[]',
    extensions TEXT[],
    must_support TEXT[],
    amended JSONB DEFAULT '{}',
    critical TEXT[],
    tenant_id TEXT,
    subject_tsvector tsvector
);
CREATE INDEX idx_vcons_uuid ON mcp.vcons (uuid);
CREATE INDEX idx_vcons_created_at ON mcp.vcons (created_at);
CREATE INDEX idx_vcons_updated_at ON mcp.vcons (updated_at);
CREATE INDEX idx_vcons_tenant_id ON mcp.vcons (tenant_id);

CREATE TABLE mcp.parties (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    vcon_id UUID NOT NULL REFERENCES mcp.vcons (uuid) ON DELETE CASCADE,
    party_index INTEGER NOT NULL,
    tel TEXT, sip TEXT, stir TEXT, mailto TEXT, name TEXT, did TEXT,
    jcard JSONB,
    gmlpos TEXT,
    civicaddress JSONB,
    timezone TEXT,
    uuid TEXT,
    validation TEXT,
    data_subject_id TEXT,
    metadata JSONB DEFAULT '{}',
    tenant_id TEXT,
    party_tsvector tsvector,
    UNIQUE (vcon_id, party_index)
);
CREATE INDEX idx_parties_tel ON mcp.parties (tel) WHERE tel IS NOT NULL;
CREATE INDEX idx_parties_mailto ON mcp.parties (mailto) WHERE mailto IS NOT NULL;
CREATE INDEX idx_parties_tenant_vcon ON mcp.parties (tenant_id, vcon_id);

CREATE TABLE mcp.dialog (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    vcon_id UUID NOT NULL REFERENCES mcp.vcons (uuid) ON DELETE CASCADE,
    dialog_index INTEGER NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('recording', 'text', 'transfer', 'incomplete')),
    start_time TIMESTAMPTZ,
    duration_seconds REAL,
    parties INTEGER[],
    originator INTEGER,
    mediatype TEXT,
    filename TEXT,
    body TEXT,
    encoding TEXT CHECK (encoding IS NULL OR encoding IN ('base64url', 'json', 'none')),
    url TEXT,
    content_hash TEXT,
    disposition TEXT,
    session_id JSONB,
    session_id_legacy TEXT,
    application TEXT,
    message_id TEXT,
    size_bytes BIGINT,
    metadata JSONB,
    transferee INTEGER,
    transferor INTEGER,
    transfer_target INTEGER[],
    original INTEGER[],
    consultation INTEGER[],
    target_dialog INTEGER[],
    tenant_id TEXT,
    body_tsvector tsvector,
    UNIQUE (vcon_id, dialog_index)
);
CREATE INDEX idx_dialog_type ON mcp.dialog (type);
CREATE INDEX idx_dialog_start ON mcp.dialog (start_time);

CREATE TABLE mcp.party_history (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    vcon_id UUID NOT NULL REFERENCES mcp.vcons (uuid) ON DELETE CASCADE,
    dialog_id UUID REFERENCES mcp.dialog (id) ON DELETE CASCADE,
    party_index INTEGER NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('join', 'drop', 'hold', 'unhold', 'mute', 'unmute', 'dtmfdown', 'dtmfup')),
    dtmf TEXT,
    tenant_id TEXT
);

CREATE TABLE mcp.attachments (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    vcon_id UUID NOT NULL REFERENCES mcp.vcons (uuid) ON DELETE CASCADE,
    attachment_index INTEGER NOT NULL,
    type TEXT,
    start_time TIMESTAMPTZ,
    party INTEGER,
    dialog INTEGER,
    mimetype TEXT,
    filename TEXT,
    body TEXT,
    encoding TEXT CHECK (encoding IS NULL OR encoding IN ('base64url', 'json', 'none')),
    url TEXT,
    content_hash TEXT,
    size_bytes BIGINT,
    metadata JSONB,
    purpose TEXT,
    tenant_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (vcon_id, attachment_index)
);
CREATE INDEX idx_attachments_type ON mcp.attachments (type);
CREATE INDEX idx_attachments_tags ON mcp.attachments (vcon_id, body) WHERE type = 'tags';

CREATE TABLE mcp.analysis (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    vcon_id UUID NOT NULL REFERENCES mcp.vcons (uuid) ON DELETE CASCADE,
    analysis_index INTEGER NOT NULL,
    type TEXT NOT NULL,
    dialog_indices INTEGER[],
    mediatype TEXT,
    filename TEXT,
    vendor TEXT NOT NULL,
    product TEXT,
    schema TEXT,
    body TEXT,
    encoding TEXT CHECK (encoding IS NULL OR encoding IN ('base64url', 'json', 'none')),
    url TEXT,
    content_hash TEXT,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    confidence REAL,
    metadata JSONB,
    tenant_id TEXT,
    body_tsvector tsvector,
    UNIQUE (vcon_id, analysis_index)
);
CREATE INDEX idx_analysis_dialog ON mcp.analysis USING gin (dialog_indices);

CREATE TABLE mcp.groups (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    vcon_id UUID NOT NULL REFERENCES mcp.vcons (uuid) ON DELETE CASCADE,
    group_index INTEGER,
    uuid UUID,
    body TEXT,
    encoding TEXT CHECK (encoding = 'json'),
    url TEXT,
    content_hash TEXT,
    tenant_id TEXT,
    UNIQUE (vcon_id, group_index)
);
