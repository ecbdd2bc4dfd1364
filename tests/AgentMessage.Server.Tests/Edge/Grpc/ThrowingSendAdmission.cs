using AgentMessage.Core.Messaging;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>A send admission whose storage fails with an exception carrying text no caller may see.</summary>
internal sealed class ThrowingSendAdmission : ISendAdmission
{
    public ValueTask<Admission> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("secret database detail");
}
