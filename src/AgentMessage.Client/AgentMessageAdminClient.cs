using AgentMessage.Client.Retries;
using AgentMessage.V1;

namespace AgentMessage.Client;

/// <summary>
/// The operator API (AdminService) over gRPC, authenticated with the server's operator token
/// (<c>AgentMessage:Admin:Token</c>), not an API key: organizations, API keys and sender numbers.
/// Reads and calls whose effect is the same however often they run are retried after transient
/// failures, as in <see cref="AgentMessageClient"/>; creations and rotations are not. Thread-safe.
/// </summary>
public sealed class AgentMessageAdminClient : IDisposable
{
    private readonly CallRunner runner;
    private readonly AdminService.AdminServiceClient admin;

    /// <summary>An operator client for <paramref name="endpoint"/> with <paramref name="adminToken"/> and the default retry policy.</summary>
    /// <param name="endpoint">The server's gRPC address.</param>
    /// <param name="adminToken">The server's operator token.</param>
    /// <exception cref="ArgumentException">The endpoint is not an absolute http(s) address, or the token is empty.</exception>
    public AgentMessageAdminClient(Uri endpoint, string adminToken)
        : this(new AgentMessageAdminClientOptions { Endpoint = endpoint, AdminToken = adminToken })
    {
    }

    /// <summary>An operator client configured by <paramref name="options"/>.</summary>
    /// <param name="options">The endpoint, operator token, retry policy and optional HTTP handler.</param>
    /// <exception cref="ArgumentException">A required setting is missing or malformed.</exception>
    public AgentMessageAdminClient(AgentMessageAdminClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        runner = new CallRunner(options, options.AdminToken!);
        admin = new AdminService.AdminServiceClient(runner.Channel);
    }

    /// <summary>Creates an organization (CreateOrganization). Not retried: a retry could create a second one.</summary>
    /// <param name="request">The organization's name and settings.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The organization with its generated id.</returns>
    public Task<CreateOrganizationResponse> CreateOrganizationAsync(CreateOrganizationRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.CreateOrganizationAsync(request, o), Repeat.Never, cancellationToken);

    /// <summary>Returns one organization (GetOrganization). Retried after transient failures.</summary>
    /// <param name="request">The organization id.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The organization.</returns>
    public Task<GetOrganizationResponse> GetOrganizationAsync(GetOrganizationRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.GetOrganizationAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Lists organizations in id order (ListOrganizations). Retried after transient failures.</summary>
    /// <param name="request">Page size and page token.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>One page and the next page's token.</returns>
    public Task<ListOrganizationsResponse> ListOrganizationsAsync(ListOrganizationsRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.ListOrganizationsAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Changes the fields present in the request (UpdateOrganization). Retried after transient failures: setting them again changes nothing.</summary>
    /// <param name="request">The organization id and the fields to change.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The organization as changed.</returns>
    public Task<UpdateOrganizationResponse> UpdateOrganizationAsync(UpdateOrganizationRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.UpdateOrganizationAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Creates an API key (CreateApiKey). Not retried: a retry could create a second key.</summary>
    /// <param name="request">The organization and the key's scopes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key, with its plaintext (shown only here).</returns>
    public Task<CreateApiKeyResponse> CreateApiKeyAsync(CreateApiKeyRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.CreateApiKeyAsync(request, o), Repeat.Never, cancellationToken);

    /// <summary>Lists an organization's API keys (ListApiKeys). Retried after transient failures.</summary>
    /// <param name="request">The organization.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The keys, without hashes or plaintexts.</returns>
    public Task<ListApiKeysResponse> ListApiKeysAsync(ListApiKeysRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.ListApiKeysAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Revokes an API key (RevokeApiKey). Retried after transient failures: revoking a revoked key changes nothing.</summary>
    /// <param name="request">The organization and the key id.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The key, revoked.</returns>
    public Task<RevokeApiKeyResponse> RevokeApiKeyAsync(RevokeApiKeyRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.RevokeApiKeyAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Replaces an active API key with a new one of the same scopes (RotateApiKey). Not retried: a retry would refuse the now revoked key.</summary>
    /// <param name="request">The organization and the key id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new key, with its plaintext.</returns>
    public Task<RotateApiKeyResponse> RotateApiKeyAsync(RotateApiKeyRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.RotateApiKeyAsync(request, o), Repeat.Never, cancellationToken);

    /// <summary>Gives an organization a sender number or changes its pace (AddNumber). Retried after transient failures: adding it again changes nothing.</summary>
    /// <param name="request">The organization, the number and its pace.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The number as recorded.</returns>
    public Task<AddNumberResponse> AddNumberAsync(AddNumberRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.AddNumberAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Takes a sender number away from an organization (RemoveNumber). Not retried: a retry after a lost answer would report NOT_FOUND.</summary>
    /// <param name="request">The organization and the number.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The (empty) response.</returns>
    public Task<RemoveNumberResponse> RemoveNumberAsync(RemoveNumberRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.RemoveNumberAsync(request, o), Repeat.Never, cancellationToken);

    /// <summary>Lists an organization's sender numbers (ListNumbers). Retried after transient failures.</summary>
    /// <param name="request">The organization.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The numbers, in order.</returns>
    public Task<ListNumbersResponse> ListNumbersAsync(ListNumbersRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => admin.ListNumbersAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Closes the channel (and the HTTP handler it owns).</summary>
    public void Dispose() => runner.Dispose();
}
