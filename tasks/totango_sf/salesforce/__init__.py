"""Transport to Salesforce: connections, the Metadata, REST and Tooling APIs, and retries."""
