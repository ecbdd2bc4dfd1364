namespace AgentMessage.Server.Errors;

/// <summary>
/// An <see cref="ApiError"/> thrown, for failures off the hot path and from code that cannot return
/// one (stores, authenticators). The gRPC interceptor turns it into a status with ErrorInfo,
/// BadRequest and RetryInfo details; the REST facade into the envelope.
/// </summary>
public sealed class ApiException(ApiError failure) : Exception(failure.Message)
{
    public ApiException(ErrorCode error, string? message = null, IReadOnlyDictionary<string, string>? details = null)
        : this(new ApiError(error, message, details))
    {
    }

    public ApiError Failure { get; } = failure;

    public ErrorCode Error => Failure.Error;

    public static ApiException Validation(string field, string problem) => new(ApiError.Validation(field, problem));

    public static ApiException Validation(IReadOnlyDictionary<string, string> problems) => new(ApiError.Validation(problems));
}
