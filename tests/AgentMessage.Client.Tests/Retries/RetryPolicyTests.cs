using AgentMessage.Client.Retries;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace AgentMessage.Client.Tests.Retries;

/// <summary>The retry decisions as pure logic: which errors, how long, when to stop.</summary>
public sealed class RetryPolicyTests
{
    private static readonly AgentMessageRetryOptions Options = new()
    {
        MaxAttempts = 4,
        InitialBackoff = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(10),
    };

    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 12, 2, 3, 0, 0, TimeSpan.Zero));

    private static readonly RetryPolicy Policy = new(Options, Clock);

    [Fact]
    public void DelayBeforeRetry_RetryInfoLongerThanTheBackoff_WaitsTheServersDelay()
    {
        var error = Error(StatusCode.ResourceExhausted, "RATE_LIMITED", retryInfo: TimeSpan.FromSeconds(7));

        Assert.Equal(TimeSpan.FromSeconds(7), Policy.DelayBeforeRetry(error, Repeat.Keyed, 1));
    }

    [Fact]
    public void DelayBeforeRetry_RetryAfterMetadataWithoutRetryInfo_WaitsItsSeconds()
    {
        var error = Error(StatusCode.Unavailable, "UNAVAILABLE", retryAfter: "3");

        Assert.Equal(TimeSpan.FromSeconds(3), Policy.DelayBeforeRetry(error, Repeat.Safe, 1));
    }

    [Fact]
    public void DelayBeforeRetry_RetryAfterAsHttpDate_WaitsUntilThatTime()
    {
        var error = Error(StatusCode.Unavailable, "UNAVAILABLE", retryAfter: Clock.GetUtcNow().AddSeconds(5).ToString("r"));

        Assert.Equal(TimeSpan.FromSeconds(5), Policy.DelayBeforeRetry(error, Repeat.Safe, 1));
    }

    [Fact]
    public void DelayBeforeRetry_HintBeyondMaxDelay_GivesUp()
    {
        var error = Error(StatusCode.ResourceExhausted, "RATE_LIMITED", retryInfo: TimeSpan.FromSeconds(11));

        Assert.Null(Policy.DelayBeforeRetry(error, Repeat.Safe, 1));
    }

    [Fact]
    public void DelayBeforeRetry_LastAttemptFailed_GivesUp()
    {
        var error = Error(StatusCode.Unavailable, "UNAVAILABLE");

        Assert.NotNull(Policy.DelayBeforeRetry(error, Repeat.Safe, 3));
        Assert.Null(Policy.DelayBeforeRetry(error, Repeat.Safe, 4));
    }

    [Fact]
    public void DelayBeforeRetry_CallThatMustNotRepeat_GivesUp()
    {
        Assert.Null(Policy.DelayBeforeRetry(Error(StatusCode.Unavailable, "UNAVAILABLE"), Repeat.Never, 1));
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, "MMS_DISABLED")]
    [InlineData(StatusCode.ResourceExhausted, null)]
    [InlineData(StatusCode.InvalidArgument, "VALIDATION_FAILED")]
    [InlineData(StatusCode.Internal, "INTERNAL")]
    [InlineData(StatusCode.FailedPrecondition, "CONSENT_REQUIRED")]
    public void DelayBeforeRetry_ErrorThatAskingAgainCannotCure_GivesUp(StatusCode code, string? reason)
    {
        Assert.Null(Policy.DelayBeforeRetry(Error(code, reason), Repeat.Keyed, 1));
    }

    [Fact]
    public void DelayBeforeRetry_IdempotencyInProgress_RetriesOnlyAKeyedCall()
    {
        var error = Error(StatusCode.Aborted, "IDEMPOTENCY_IN_PROGRESS", retryInfo: TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromSeconds(1), Policy.DelayBeforeRetry(error, Repeat.Keyed, 1));
        Assert.Null(Policy.DelayBeforeRetry(error, Repeat.Safe, 1));
    }

    [Fact]
    public void DelayBeforeRetry_UnreadableStatusDetails_FallsBackToTheBackoff()
    {
        var error = new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "proxy"), new Metadata { { "grpc-status-details-bin", new byte[] { 0xff, 0xff, 0xff } } });

        var delay = Policy.DelayBeforeRetry(error, Repeat.Safe, 1);

        Assert.NotNull(delay);
        Assert.InRange(delay.Value, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [InlineData(1, 50, 100)]
    [InlineData(2, 100, 200)]
    [InlineData(4, 400, 800)]
    [InlineData(10, 5_000, 10_000)]
    [InlineData(1_000, 5_000, 10_000)]
    public void Backoff_NthFailure_IsBetweenHalfAndAllOfTheDoubledCeilingCappedByMaxDelay(int failures, int lowMs, int highMs)
    {
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(Policy.Backoff(failures), TimeSpan.FromMilliseconds(lowMs), TimeSpan.FromMilliseconds(highMs));
        }
    }

    [Fact]
    public void DelayBeforeReconnect_StreamEndedWithoutStatus_ReconnectsUntilTheBound()
    {
        var policy = new RetryPolicy(new AgentMessageRetryOptions { MaxStreamReconnects = 2 }, Clock);

        Assert.NotNull(policy.DelayBeforeReconnect(null, 2));
        Assert.Null(policy.DelayBeforeReconnect(null, 3));
    }

    [Fact]
    public void DelayBeforeReconnect_Unauthenticated_GivesUp()
    {
        Assert.Null(Policy.DelayBeforeReconnect(Error(StatusCode.Unauthenticated, "UNAUTHORIZED"), 1));
    }

    private static RpcException Error(StatusCode code, string? reason, TimeSpan? retryInfo = null, string? retryAfter = null)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = "refused" };
        if (reason is not null)
        {
            status.Details.Add(Any.Pack(new ErrorInfo { Reason = reason, Domain = "agentmessage.io" }));
        }

        if (retryInfo is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }

        var trailers = new Metadata { { "grpc-status-details-bin", status.ToByteArray() } };
        if (retryAfter is not null)
        {
            trailers.Add("retry-after", retryAfter);
        }

        return new RpcException(new Grpc.Core.Status(code, "refused"), trailers);
    }
}
